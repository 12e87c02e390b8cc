import Foundation
import HyperionCore
import Synchronization
import CPoppler

/// Extracts text from PDF files with poppler-glib.
///
/// Each page's text layer becomes one or more paragraphs, and each page is recorded as a ``ExtractedText/PageStart``;
/// pages are separated by a blank line. The title is the document's metadata title, when it has one.
/// Encrypted files are refused (nobody gave a password), damaged ones carry Poppler's message, and a PDF whose
/// pages have no text layer at all (a scan without OCR) fails with ``ExtractionError/noText``.
enum PDFExtractor {
    /// Poppler and the font configuration it loads keep process-wide state that is not safe to use from several
    /// threads at once, so documents are opened and read one at a time.
    private static let gate = Mutex(())

    static func extract(_ data: Data) throws -> ExtractedText {
        guard !data.isEmpty else { throw ExtractionError.noText }
        return try gate.withLock { _ in try extractLocked(data) }
    }

    private static func extractLocked(_ data: Data) throws -> ExtractedText {
        // Poppler reads from the GBytes (which holds its own copy) for as long as the document lives.
        let bytes: OpaquePointer? = data.withUnsafeBytes { raw in g_bytes_new(raw.baseAddress, gsize(raw.count)) }
        guard let bytes else { throw ExtractionError.unreadable("damaged PDF: out of memory") }
        defer { g_bytes_unref(bytes) }

        var error: UnsafeMutablePointer<GError>?
        guard let document = poppler_document_new_from_bytes(bytes, nil, &error) else {
            defer { g_clear_error(&error) }
            if let error, error.pointee.domain == poppler_error_quark(), error.pointee.code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) {
                throw ExtractionError.unreadable("the PDF is encrypted (password-protected); upload a copy without a password")
            }
            let message = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
            throw ExtractionError.unreadable("damaged PDF: \(message)")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(document)) }

        let pageCount = Int(poppler_document_get_n_pages(document))
        guard pageCount > 0 else { throw ExtractionError.unreadable("damaged PDF: no pages could be read") }

        var builder = TextBuilder()
        for index in 0..<pageCount {
            builder.startPage(index + 1)
            guard let page = poppler_document_get_page(document, Int32(index)) else { continue }
            defer { g_object_unref(UnsafeMutableRawPointer(page)) }
            guard let raw = poppler_page_get_text(page) else { continue }
            defer { g_free(raw) }
            builder.paragraphs(cleanPageText(String(cString: raw)))
        }
        let title = takeString(poppler_document_get_title(document))
        let result = builder.build(title: title)
        guard result.hasText else { throw ExtractionError.noText }
        return result
    }

    /// A newly allocated C string as a Swift string, freed.
    private static func takeString(_ pointer: UnsafeMutablePointer<gchar>?) -> String? {
        guard let pointer else { return nil }
        defer { g_free(pointer) }
        return String(cString: pointer)
    }

    /// Page text without form feeds, other control characters or U+FFFD from unmapped glyphs, and with typographic
    /// ligatures (ﬁ, ﬂ…) spelled out, so that "ﬁnance" is found by a search for "finance".
    static func cleanPageText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: out.append(scalar)
            case 0x0D, 0x0C: out.append("\n")
            case 0x00...0x1F, 0x7F, 0xFFFD: continue
            case 0xFB00...0xFB06: out.append(contentsOf: ligatures[Int(scalar.value - 0xFB00)].unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static let ligatures = ["ff", "fi", "fl", "ffi", "ffl", "st", "st"]
}
