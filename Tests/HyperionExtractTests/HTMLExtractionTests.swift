import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("HTML extraction")
struct HTMLExtractionTests {
    func extract(_ html: String) throws -> ExtractedText {
        try TextExtractor.extract(Data(html.utf8), format: .html)
    }

    @Test("headings become sections whose paths nest by level; the <title> is the title")
    func headings() throws {
        let extracted = try extract("""
            <!DOCTYPE html>
            <html><head><title>  Staff
              Handbook </title><meta charset="utf-8"><style>body { color: red }</style></head>
            <body>
            <h1>Handbook</h1><p>Intro.</p>
            <h2>Leave</h2><p>25 days.</p>
            <h3>Sick leave</h3><p>Call in.</p>
            <h2>Expenses</h2><p>Keep receipts.</p>
            <h4>Deep</h4><p>Skips a level.</p>
            </body></html>
            """)
        #expect(extracted.title == "Staff Handbook")
        #expect(extracted.sections.map(\.headingPath) == [
            ["Handbook"], ["Handbook", "Leave"], ["Handbook", "Leave", "Sick leave"], ["Handbook", "Expenses"],
            ["Handbook", "Expenses", "Deep"],
        ])
        #expect(extracted.text == "Handbook\n\nIntro.\n\nLeave\n\n25 days.\n\nSick leave\n\nCall in.\n\nExpenses\n\nKeep receipts.\n\nDeep\n\nSkips a level.")
        extracted.checkOffsets()
    }

    @Test("without <title> the first heading is the title")
    func titleFromHeading() throws {
        #expect(try extract("<div><h2>First <em>one</em></h2><p>x</p><h1>Second</h1></div>").title == "First one")
    }

    @Test("scripts, styles, navigation, page header and footer, forms' buttons and SVG are dropped")
    func dropped() throws {
        let extracted = try extract("""
            <html><head><script>var hidden = "<p>no</p>";</script></head><body>
            <header><a href="/">Site name</a><nav><a href="/a">Menu A</a></nav></header>
            <noscript>Enable JavaScript</noscript>
            <main><article><header><h1>Article title</h1></header><p>Body text.</p>
            <script type="text/javascript">document.write("</div>not this either");</script>
            <STYLE>p { display: none }</STYLE>
            <svg><title>icon</title><text>svg text</text></svg>
            <template><p>template text</p></template>
            <button>Click me</button>
            <footer><p>Article footer note.</p></footer></article></main>
            <footer>© Site footer</footer>
            </body></html>
            """)
        #expect(extracted.text == "Article title\n\nBody text.\n\nArticle footer note.")
        #expect(extracted.title == "Article title")
    }

    @Test("entities are decoded: named, Latin-1, decimal, hexadecimal, and legacy forms without ';'")
    func entities() throws {
        let extracted = try extract(
            "<p>Fish &amp; chips &lt;3 &gt; &quot;q&quot; &apos;a&apos; caf&eacute; na&iuml;ve &copy; 2024&nbsp;&euro; &#233;&#xE9;&#X1F600; "
                + "&hellip; &mdash; &#150; &amp &unknown; &#0; &#xD800; AT&T &copyright</p>")
        #expect(extracted.text == "Fish & chips <3 > \"q\" 'a' café naïve © 2024 € éé😀 … — – & &unknown; \u{FFFD} \u{FFFD} AT&T &copyright")
    }

    @Test("tables become rows with cells joined by ' | '; lists become lines")
    func tablesAndLists() throws {
        let extracted = try extract("""
            <table><thead><tr><th>Item</th><th>Limit</th></tr></thead>
            <tbody><tr><td>Hotel</td><td>150 <b>EUR</b></td></tr><tr><td><p>Taxi</p></td><td>40 EUR</td></tr></tbody></table>
            <ul><li>one</li><li>two<li>three</ul>
            <p>after<br>break</p>
            """)
        #expect(extracted.text == "Item | Limit\nHotel | 150 EUR\nTaxi | 40 EUR\n\none\ntwo\nthree\n\nafter\nbreak")
    }

    @Test("whitespace is collapsed except in <pre>")
    func whitespace() throws {
        let extracted = try extract("<p>  a\n   b\t\tc  </p><pre>\nline 1\n    indented\n</pre><p>x<span> y </span>z</p><p>in<b>line</b></p>")
        #expect(extracted.text == "a b c\n\nline 1\n    indented\n\nx y z\n\ninline")
    }

    @Test("malformed markup is tolerated")
    func malformed() throws {
        let extracted = try extract("""
            <html><head><title>T</title>
            <body><p>Missing head end<p>Unclosed <b>bold <i>italic</p></b>
            <div>a < b and c > d</div></span></div></div>
            <h2>Heading without end<p>Paragraph after it
            <!-- comment <p>hidden</p> -->
            <p title="a > b">attribute with '>'</p>
            <p>unterminated comment <!-- forever
            """)
        #expect(extracted.text == "Missing head end\n\nUnclosed bold italic\n\na < b and c > d\n\nHeading without end\n\nParagraph after it\n\nattribute with '>'\n\nunterminated comment")
        #expect(extracted.sections.map(\.headingPath) == [["Heading without end"]])
        #expect(extracted.title == "T")
    }

    @Test("a page that is only scripts has no text")
    func noText() throws {
        #expect(throws: ExtractionError.noText) { try extract("<html><head><script>x()</script></head><body><nav>Menu</nav></body></html>") }
    }
}
