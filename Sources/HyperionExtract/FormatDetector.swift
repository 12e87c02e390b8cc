import Foundation
import HyperionCore

/// Decides what kind of document a file is from its bytes.
///
/// The content decides, not the name: a PDF called `notes.txt` is a PDF and a PNG called `report.pdf` is refused.
/// The name is used only to break a tie between Markdown and plain text when the text itself does not say.
public enum FormatDetector {
    /// The format of `data`.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - filename: the name it was uploaded with, if any; only a `.md`/`.markdown` extension matters, and only
    ///     for text whose content is ambiguous.
    /// - Throws: ``ExtractionError/unsupportedType(_:)`` for known binary formats (images, archives, executables,
    ///   other office formats) and unrecognised binary data; ``ExtractionError/unsupportedEncoding(_:)`` for text that
    ///   is neither UTF-8 nor UTF-16/32 with a byte-order mark; ``ExtractionError/noText`` for an empty file.
    public static func detect(_ data: Data, filename: String?) throws -> DocumentFormat {
        guard !data.isEmpty else { throw ExtractionError.noText }
        let head = [UInt8](data.prefix(1024))
        if isPDF(data, head: head) { return .pdf }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06])
            || head.starts(with: [0x50, 0x4B, 0x07, 0x08]) {
            return try zipKind(data)
        }
        if let kind = BinarySignatures.identify(head) { throw ExtractionError.unsupportedType(kind) }

        let text: String
        do {
            text = try TextDecoding.decode(data)
        } catch ExtractionError.unsupportedEncoding(let why) {
            // Old HTML pages declare Latin-1/Windows-1252; the HTML extractor reads those.
            let declared = data.withUnsafeBytes { TextDecoding.declaresWindows1252($0.bindMemory(to: UInt8.self)) }
            if declared, let html = try? TextDecoding.decode(data, declaredHTMLCharset: true), HTMLSniffer.isHTML(html) {
                return .html
            }
            throw ExtractionError.unsupportedEncoding(why)
        }
        if let kind = textSignature(text) { throw ExtractionError.unsupportedType(kind) }
        if HTMLSniffer.isHTML(text) { return .html }
        return MarkdownSniffer.classify(text, filename: filename)
    }

    /// `%PDF-` at the start; readers also accept it after up to 1 KB of junk, so that counts when the file also ends
    /// like a PDF.
    private static func isPDF(_ data: Data, head: [UInt8]) -> Bool {
        let magic = Array("%PDF-".utf8)
        if head.starts(with: magic) { return true }
        guard head.count >= magic.count else { return false }
        guard (0...(head.count - magic.count)).contains(where: { head[$0..<($0 + magic.count)].elementsEqual(magic) }) else {
            return false
        }
        let tail = [UInt8](data.suffix(2048))
        let eof = Array("%%EOF".utf8)
        return tail.count >= eof.count && (0...(tail.count - eof.count)).contains { tail[$0..<($0 + eof.count)].elementsEqual(eof) }
    }

    /// A Word document is a ZIP with `word/document.xml`; other ZIP-based formats are named in the refusal.
    private static func zipKind(_ data: Data) throws -> DocumentFormat {
        do {
            return try zipKind(of: ZIPReading(data))
        } catch let error as ExtractionError {
            throw error
        } catch {
            // The central directory is unreadable (truncated or damaged). Local headers still carry entry names
            // in the clear, so a damaged Word document is still recognisable, and its extraction says what broke.
            if data.range(of: Data("word/document.xml".utf8)) != nil { return .docx }
            throw ExtractionError.unsupportedType("a damaged ZIP archive that is not a recognisable Word document")
        }
    }

    private static func zipKind(of archive: ZIPReading) throws -> DocumentFormat {
        let names = Set(archive.entries.map(\.path))
        if names.contains("word/document.xml") { return .docx }
        if names.contains("xl/workbook.xml") { throw ExtractionError.unsupportedType("an Excel workbook (XLSX)") }
        if names.contains("ppt/presentation.xml") { throw ExtractionError.unsupportedType("a PowerPoint presentation (PPTX)") }
        if let entry = archive["mimetype"], entry.uncompressedSize < 200 {
            let bytes = (try? archive.read(entry, limit: 200)) ?? Data()
            let mime = String(decoding: bytes.prefix(200), as: UTF8.self)
            if mime.hasPrefix("application/epub") { throw ExtractionError.unsupportedType("an EPUB e-book") }
            if mime.hasPrefix("application/vnd.oasis.opendocument") {
                throw ExtractionError.unsupportedType("an OpenDocument file (\(mime.split(separator: ".").last ?? "ODF"))")
            }
        }
        if names.contains("AndroidManifest.xml") { throw ExtractionError.unsupportedType("an Android package (APK)") }
        if names.contains("META-INF/MANIFEST.MF") { throw ExtractionError.unsupportedType("a Java archive (JAR)") }
        throw ExtractionError.unsupportedType("a ZIP archive that is not a Word document (it has no word/document.xml)")
    }

    /// Text-based formats that are not documents Hyperion reads.
    private static func textSignature(_ text: String) -> String? {
        var start = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        while start < scalars.endIndex, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        let lead = String(String.UnicodeScalarView(scalars[start...].prefix(256))).lowercased()
        if lead.hasPrefix("{\\rtf") { return "an RTF document" }
        if lead.hasPrefix("%!ps") { return "a PostScript file" }
        if lead.hasPrefix("<svg") || (lead.hasPrefix("<?xml") && text.prefix(4096).lowercased().contains("<svg")
                                        && !text.prefix(4096).lowercased().contains("<html")) {
            return "an SVG image"
        }
        return nil
    }
}

/// Magic numbers of binary formats people upload by mistake, so the refusal can say what the file is.
enum BinarySignatures {
    static func identify(_ head: [UInt8]) -> String? {
        func at(_ offset: Int, _ bytes: [UInt8]) -> Bool {
            head.count >= offset + bytes.count && head[offset..<(offset + bytes.count)].elementsEqual(bytes)
        }
        func at(_ offset: Int, _ ascii: String) -> Bool { at(offset, Array(ascii.utf8)) }

        if at(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "a PNG image" }
        if at(0, [0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if at(0, "GIF87a") || at(0, "GIF89a") { return "a GIF image" }
        if at(0, "RIFF") && at(8, "WEBP") { return "a WebP image" }
        if at(0, "RIFF") && at(8, "WAVE") { return "a WAV audio file" }
        if at(0, "RIFF") && at(8, "AVI ") { return "an AVI video" }
        if at(0, [0x49, 0x49, 0x2A, 0x00]) || at(0, [0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
        if at(0, "BM") && head.count >= 14 && head[6...9].allSatisfy({ $0 == 0 }) { return "a BMP image" }
        if at(0, [0x00, 0x00, 0x01, 0x00]) { return "an icon (ICO)" }
        if at(0, "8BPS") && at(4, [0x00, 0x01]) { return "a Photoshop image (PSD)" }
        if at(4, "ftyp") {
            if at(8, "heic") || at(8, "heix") || at(8, "mif1") || at(8, "avif") { return "a HEIF/AVIF image" }
            if at(8, "M4A ") { return "an M4A audio file" }
            if at(8, "qt  ") { return "a QuickTime video" }
            return "an MP4 video"
        }
        if at(0, [0x1A, 0x45, 0xDF, 0xA3]) { return "a Matroska/WebM video" }
        if (at(0, "ID3") && head.count > 4 && head[3] < 5 && head[4] == 0) || at(0, [0xFF, 0xFB]) || at(0, [0xFF, 0xF3]) || at(0, [0xFF, 0xF2]) { return "an MP3 audio file" }
        if at(0, "OggS") && at(4, [0x00]) { return "an Ogg media file" }
        if at(0, "fLaC") { return "a FLAC audio file" }
        if at(0, [0x1F, 0x8B]) { return "a gzip-compressed file" }
        if at(0, "BZh") && at(4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) { return "a bzip2-compressed file" }
        if at(0, [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "an xz-compressed file" }
        if at(0, [0x28, 0xB5, 0x2F, 0xFD]) { return "a Zstandard-compressed file" }
        if at(0, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return "a 7-Zip archive" }
        if at(0, "Rar!\u{1A}\u{07}") { return "a RAR archive" }
        if at(257, "ustar") { return "a tar archive" }
        if at(0, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return "a legacy Microsoft Office file (.doc/.xls/.ppt) or a password-protected Office document"
        }
        if at(0, [0x7F, 0x45, 0x4C, 0x46]) { return "an ELF executable" }
        if at(0, [0xFE, 0xED, 0xFA, 0xCE]) || at(0, [0xFE, 0xED, 0xFA, 0xCF]) || at(0, [0xCE, 0xFA, 0xED, 0xFE])
            || at(0, [0xCF, 0xFA, 0xED, 0xFE]) { return "a Mach-O executable" }
        if at(0, [0xCA, 0xFE, 0xBA, 0xBE]) { return "a Java class file or universal binary" }
        if at(0, "MZ") && head.contains(0) { return "a Windows executable" }
        if at(0, [0x00, 0x61, 0x73, 0x6D]) { return "a WebAssembly module" }
        if at(0, "SQLite format 3\u{0}") { return "an SQLite database" }
        if at(0, "wOFF") || at(0, "wOF2") { return "a web font" }
        if at(0, [0x00, 0x01, 0x00, 0x00, 0x00]) || at(0, "OTTO\u{0}") { return "a font file" }
        return nil
    }
}
