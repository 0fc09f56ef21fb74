import Foundation
import Testing
import BudgetCore

@Suite struct PriceTests {
    @Test(arguments: [
        ("0.04", Int64(40_000_000_000), "0.04"),
        ("0.000000000001", 1, "0.000000000001"),
        ("0.0000004", 400_000, "0.0000004"),
        ("0.000005", 5_000_000, "0.000005"),
        ("5", 5_000_000_000_000, "5.00"),
        ("5.1", 5_100_000_000_000, "5.10"),
        ("0", 0, "0.00"),
        ("-0", 0, "0.00"),
        ("0.123456789012", 123_456_789_012, "0.123456789012"),
        ("9223372.036854775807", .max, "9223372.036854775807"),
    ])
    func parsesAndFormats(text: String, picos: Int64, canonical: String) throws {
        let price = try Price.parse(decimalString: text)
        #expect(price.picos == picos)
        #expect(price.decimalString == canonical)
        #expect(price.description == canonical)
        #expect(Price(decimalString: canonical) == price)
    }

    @Test(arguments: [
        ("-0.01", DecimalParseError.negative),
        ("-1", .negative),
        ("0.0000000000001", .tooManyFractionDigits(limit: 12)),
        ("9223372.036854775808", .outOfRange(lowerBound: "0", upperBound: "9223372.036854775807")),
        ("", .empty),
        ("1e-6", .invalidSyntax(offset: 1)),
        ("+0.04", .invalidSyntax(offset: 0)),
        ("0.04 ", .invalidSyntax(offset: 4)),
        ("NaN", .invalidSyntax(offset: 0)),
    ])
    func rejectsWithReason(text: String, reason: DecimalParseError) {
        #expect(throws: reason) { try Price.parse(decimalString: text) }
        #expect(Price(decimalString: text) == nil)
    }

    @Test func rejectsNegativePicos() {
        #expect(Price(picos: -1) == nil)
        #expect(Price(picos: 0) == .zero)
        #expect(Price(picos: 7)?.picos == 7)
    }

    @Test func ordersByAmount() {
        let prices = ["0.04", "0.0000004", "5"].map { Price(decimalString: $0)! }
        #expect(prices.sorted().map(\.decimalString) == ["0.0000004", "0.04", "5.00"])
    }

    @Test func codesAsJSONString() throws {
        let prices = [Price(decimalString: "0.04")!, Price(picos: 1)!]
        let json = String(decoding: try JSONEncoder().encode(prices), as: UTF8.self)
        #expect(json == #"["0.04","0.000000000001"]"#)
        #expect(try JSONDecoder().decode([Price].self, from: Data(json.utf8)) == prices)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Price].self, from: Data(#"["-0.04"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Price].self, from: Data("[0.04]".utf8)) }
    }
}
