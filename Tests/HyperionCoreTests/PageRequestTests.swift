import HyperionCore
import Testing

@Suite("List convention ?skip=&limit=")
struct PageRequestTests {
    @Test("absent values give skip 0 and limit 20")
    func defaults() throws {
        let page = try PageRequest(skip: nil, limit: nil)
        #expect(page == PageRequest(skip: 0, limit: 20))
    }

    @Test("valid values are kept")
    func valid() throws {
        let page = try PageRequest(skip: "40", limit: "100")
        #expect(page.skip == 40 && page.limit == 100)
    }

    @Test("bad values name the parameter", arguments: [
        ("-1", nil, "skip"), ("abc", nil, "skip"), (nil, "0", "limit"), (nil, "101", "limit"), (nil, "1.5", "limit"),
        (nil, "", "limit"), ("99999999999999999999", nil, "skip"),
    ] as [(String?, String?, String)])
    func invalid(skip: String?, limit: String?, field: String) {
        #expect {
            _ = try PageRequest(skip: skip, limit: limit)
        } throws: { error in
            guard let error = error as? HyperionError else { return false }
            return error.kind == .validation && error.field == field && error.message.hasPrefix(field)
        }
    }

    @Test("a page maps its items and keeps total and request")
    func mapPage() {
        let page = Page(items: [1, 2], total: 7, request: PageRequest(skip: 2, limit: 2)).map { "\($0)" }
        #expect(page.items == ["1", "2"] && page.total == 7 && page.request.skip == 2)
    }
}
