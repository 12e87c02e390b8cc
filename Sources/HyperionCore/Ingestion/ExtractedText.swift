/// A document's text after extraction, with where its pages and sections start.
/// Offsets count Characters of ``text``.
public struct ExtractedText: Sendable, Equatable {
    /// Where a page starts.
    public struct PageStart: Sendable, Equatable {
        public var number: Int
        public var offset: Int
        public init(number: Int, offset: Int) { self.number = number; self.offset = offset }
    }

    /// Where a section starts and the headings above it, outermost first.
    public struct SectionStart: Sendable, Equatable {
        public var headingPath: [String]
        public var offset: Int
        public init(headingPath: [String], offset: Int) { self.headingPath = headingPath; self.offset = offset }
    }

    /// The plain text; paragraphs separated by a blank line.
    public var text: String
    /// The title found in the file (metadata or first heading), if any.
    public var title: String?
    /// Page starts in order (empty for formats without pages).
    public var pages: [PageStart]
    /// Section starts in order.
    public var sections: [SectionStart]

    /// Creates extracted text.
    public init(text: String, title: String? = nil, pages: [PageStart] = [], sections: [SectionStart] = []) {
        self.text = text
        self.title = title
        self.pages = pages
        self.sections = sections
    }

    /// The page containing `offset`.
    public func page(at offset: Int) -> Int? {
        pages.last { $0.offset <= offset }?.number ?? pages.first?.number
    }

    /// The heading path of the section containing `offset`.
    public func headingPath(at offset: Int) -> [String] {
        sections.last { $0.offset <= offset }?.headingPath ?? []
    }

    /// Whether there is any text worth indexing.
    public var hasText: Bool { text.contains { !$0.isWhitespace } }
}
