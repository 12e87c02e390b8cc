import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("Markdown extraction")
struct MarkdownExtractionTests {
    func extract(_ markdown: String) throws -> ExtractedText {
        try TextExtractor.extract(Data(markdown.utf8), format: .markdown)
    }

    @Test("ATX and setext headings become sections with nested paths; the first heading is the title")
    func headings() throws {
        let extracted = try extract("""
            Intro before any heading.

            # Guide #

            Welcome.

            ## Install

            Steps.

            Linux
            -----

            apt-get.

            ### Debian ###
            Details.

            Reference
            =========

            The end.
            """)
        #expect(extracted.title == "Guide")
        #expect(extracted.sections.map(\.headingPath) == [
            ["Guide"], ["Guide", "Install"], ["Guide", "Linux"], ["Guide", "Linux", "Debian"], ["Reference"],
        ])
        #expect(extracted.text == "Intro before any heading.\n\nGuide\n\nWelcome.\n\nInstall\n\nSteps.\n\nLinux\n\napt-get.\n\nDebian\n\nDetails.\n\nReference\n\nThe end.")
        extracted.checkOffsets()
    }

    @Test("inline markup is stripped and the words stay")
    func inline() throws {
        let extracted = try extract("""
            Some *emphasis*, **strong**, _under_, __double__, ~~struck~~ and ***both***.
            A [link](https://example.com "title") and ![a diagram](img/d.png) and [ref link][r1] and <https://example.org>.
            Code `let x = *y*` stays literal, ``a ` b`` too. Escaped \\*stars\\* stay. snake_case_name and 2 * 3 * 4 stay.
            A <kbd>Ctrl</kbd> key and a <placeholder>, mail <team@example.com>.
            <img src="https://example.com/logo.png" width="489"/>

            [r1]: https://example.com/ref
            """)
        #expect(extracted.text == """
            Some emphasis, strong, under, double, struck and both.
            A link and a diagram and ref link and https://example.org.
            Code let x = *y* stays literal, a ` b too. Escaped *stars* stay. snake_case_name and 2 * 3 * 4 stay.
            A Ctrl key and a <placeholder>, mail team@example.com.
            """)
    }

    @Test("fenced code is kept as text, including lines that look like headings")
    func fencedCode() throws {
        let extracted = try extract("""
            # Title

            ```python
            # not a heading
            print("*x*")

            ```

            ~~~~
            ~~~ still code
            ~~~~
            After.
            """)
        #expect(extracted.sections.map(\.headingPath) == [["Title"]])
        #expect(extracted.text == "Title\n\n# not a heading\nprint(\"*x*\")\n\n~~~ still code\n\nAfter.")
    }

    @Test("lists keep their words (bullets go, numbers stay), quotes lose their markers, tables become rows")
    func blocks() throws {
        let extracted = try extract("""
            - first item
            * second item
              continued
            1. step one
            2) step two

            > quoted **text**
            > more

            | Name | Value |
            |:-----|------:|
            | a    | `1`   |
            | b \\| c | 2 |

            ---
            <!-- a comment
            spanning lines -->
            End.
            """)
        #expect(extracted.text == """
            first item
            second item
            continued
            1. step one
            2) step two

            quoted text
            more

            Name | Value
            a | 1
            b | c | 2

            End.
            """)
    }

    @Test("front matter is skipped and its title used")
    func frontMatter() throws {
        let extracted = try extract("---\ntitle: \"Release Notes\"\ndate: 2024-01-02\n---\n\n# v2\n\nFaster.")
        #expect(extracted.title == "Release Notes")
        #expect(extracted.text == "v2\n\nFaster.")
    }

    @Test("a document that merely starts with a rule keeps its text")
    func ruleIsNotFrontMatter() throws {
        let extracted = try extract("---\nThis is not YAML, just prose.\n---\n\nMore prose.")
        #expect(extracted.text == "This is not YAML, just prose.\n\nMore prose.")
    }

    @Test("CRLF line endings work like LF")
    func crlf() throws {
        let extracted = try extract("# A\r\n\r\ntext\r\n## B\r\nmore\r\n")
        #expect(extracted.text == "A\n\ntext\n\nB\n\nmore")
        #expect(extracted.sections.map(\.headingPath) == [["A"], ["A", "B"]])
        extracted.checkOffsets()
    }
}
