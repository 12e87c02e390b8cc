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

    /// The page containing `offset` (for one look-up; ``Locator`` answers many).
    public func page(at offset: Int) -> Int? { Locator(self).page(at: offset) }

    /// The heading path of the section containing `offset` (for one look-up; ``Locator`` answers many).
    public func headingPath(at offset: Int) -> [String] { Locator(self).headingPath(at: offset) }

    /// Page and heading look-ups by binary search, for callers that ask once per chunk (the linear
    /// `page(at:)` and `headingPath(at:)` would make a document with 100,000 headings quadratic).
    public struct Locator: Sendable {
        private let pages: [PageStart]
        private let pageOffsets: [Int]
        private let sections: [SectionStart]
        private let sectionOffsets: [Int]

        /// Pages and sections are sorted by offset here, so the look-ups hold for any input order.
        public init(_ text: ExtractedText) {
            pages = text.pages.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
            sections = text.sections.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
            pageOffsets = pages.map(\.offset)
            sectionOffsets = sections.map(\.offset)
        }

        /// The page containing `offset`: the last page starting at or before it, else the first page.
        public func page(at offset: Int) -> Int? {
            Self.lastIndex(in: pageOffsets, atOrBefore: offset).map { pages[$0].number } ?? pages.first?.number
        }

        /// The heading path of the section containing `offset`.
        public func headingPath(at offset: Int) -> [String] {
            Self.lastIndex(in: sectionOffsets, atOrBefore: offset).map { sections[$0].headingPath } ?? []
        }

        private static func lastIndex(in offsets: [Int], atOrBefore offset: Int) -> Int? {
            var low = 0, high = offsets.count  // first index whose offset is > offset
            while low < high {
                let mid = (low + high) / 2
                if offsets[mid] <= offset { low = mid + 1 } else { high = mid }
            }
            return low > 0 ? low - 1 : nil
        }
    }

    /// Whether there is any text worth indexing.
    public var hasText: Bool { text.contains { !$0.isWhitespace } }
}
