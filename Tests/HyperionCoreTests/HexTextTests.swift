import Foundation
import HyperionCore
import Testing

@Suite("Hex and UUID text")
struct HexTextTests {
    @Test("Same text as Foundation's lower-cased uuidString, for random ids and every byte value in every position")
    func matchesFoundation() {
        for _ in 0..<20_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        for position in 0..<16 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: 0x5A, count: 16)
                bytes[position] = UInt8(value)
                let id = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                     bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
                #expect(id.lowercasedString == id.uuidString.lowercased())
            }
        }
    }

    @Test("The text reads back as the same id")
    func roundTrips() {
        let id = UUID()
        #expect(UUID(uuidString: id.lowercasedString) == id)
        #expect(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).lowercasedString == "00000000-0000-0000-0000-000000000000")
    }

    @Test("Bytes as lower-case hex: the same text as String(format: \"%02x\") for every byte value, in any sequence")
    func bytesMatchFormat() {
        let all = [UInt8](0...255)
        #expect(all.lowercaseHex == all.map { String(format: "%02x", $0) }.joined())
        #expect([UInt8]().lowercaseHex == "")
        #expect(all.reversed().prefix(3).lowercaseHex == "fffefd")
        #expect(CollectionOfOne(UInt8(0x1f)).lowercaseHex == "1f")
    }
}
