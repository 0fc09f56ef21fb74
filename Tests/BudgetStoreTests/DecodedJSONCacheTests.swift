import Testing

@testable import BudgetStore

@Suite("Decoded JSON cache")
struct DecodedJSONCacheTests {
    @Test("the same text is decoded once; changed text is decoded anew; a full cache starts over")
    func cache() throws {
        let cache = DecodedJSONCache<Int>(capacity: 2)
        var decoded: [String] = []
        let decode: (String) throws -> Int = { text in
            decoded.append(text)
            return text.count
        }
        #expect(try cache.value(for: "{\"a\":1}", decode: decode) == 7)
        #expect(try cache.value(for: "{\"a\":1}", decode: decode) == 7)
        #expect(try cache.value(for: "{\"a\":22}", decode: decode) == 8)
        #expect(decoded == ["{\"a\":1}", "{\"a\":22}"])
        _ = try cache.value(for: "{}", decode: decode)  // third entry: the cache is emptied first
        _ = try cache.value(for: "{\"a\":1}", decode: decode)
        #expect(decoded == ["{\"a\":1}", "{\"a\":22}", "{}", "{\"a\":1}"])
    }

    @Test("a document that fails to decode is not cached")
    func failure() {
        struct Broken: Error {}
        let cache = DecodedJSONCache<Int>()
        var attempts = 0
        for _ in 0..<2 {
            #expect(throws: Broken.self) {
                try cache.value(for: "nope") { _ in
                    attempts += 1
                    throw Broken()
                }
            }
        }
        #expect(attempts == 2)
    }
}
