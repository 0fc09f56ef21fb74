import Testing
import BudgetCore

@Suite struct QuantityFromDoubleTests {
    @Test(arguments: [
        (0.1, Int128(100_000_000)),                    // "0.1", not 0.1000000000000000055…
        (0.30000000000000004, 300_000_000),            // "0.30000000000000004" → 0.300000000|00000004
        (3, 3_000_000_000),
        (0.5, 500_000_000),
        (1e-5, 10_000),                                // "1e-05"
        (1e-9, 1),                                     // "1e-09"
        (1e-10, 0),                                    // "1e-10": 0.1 nano-unit → 0
        (5e-10, 0),                                    // "5e-10": exactly half → even 0
        (1.5e-9, 2),                                   // "1.5e-09": 1.5 → even 2
        (2.5e-9, 2),                                   // "2.5e-09": 2.5 → even 2
        (6e-10, 1),                                    // "6e-10": 0.6 → 1
        (1.0000000005, 1_000_000_000),                 // "1.0000000005": tie → even …000
        (1.0000000015, 1_000_000_002),                 // "1.0000000015": tie → even …002
        (123456.7890123, 123_456_789_012_300),
        (999999999999.9999, 999_999_999_999_999_900_000),
        (1e12, 1_000_000_000_000_000_000_000),         // the largest accepted value
        (0, 0),
        (-0.0, 0),
        (Double.leastNonzeroMagnitude, 0),             // 5e-324, the smallest subnormal
    ] as [(Double, Int128)])
    func convertsShortestDecimalExactly(value: Double, nanos: Int128) throws {
        #expect(try Quantity.convert(value).nanos == nanos)
        #expect(Quantity(value)?.nanos == nanos)
    }

    @Test(arguments: [
        (-1.0, QuantityError.negative),
        (-1e-300, .negative),
        (.nan, .notANumber),
        (-.nan, .notANumber),
        (.infinity, .infinite),
        (-.infinity, .infinite),
        (1e12.nextUp, .tooLarge),
        (1.5e20, .tooLarge),
        (.greatestFiniteMagnitude, .tooLarge),
    ])
    func rejectsWithReason(value: Double, reason: QuantityError) {
        #expect(throws: reason) { try Quantity.convert(value) }
        #expect(Quantity(value) == nil)
    }

    @Test func displaysAsDouble() {
        #expect(Quantity(0.25)?.doubleValue == 0.25)
        #expect(Quantity.maximum.doubleValue == 1e12)
    }
}

@Suite struct QuantityDecimalTextTests {
    @Test(arguments: [
        ("0.5", Int128(500_000_000), "0.5"),
        ("3", 3_000_000_000, "3"),
        ("3.000", 3_000_000_000, "3"),
        ("0.000000001", 1, "0.000000001"),
        ("1000000000000", 1_000_000_000_000_000_000_000, "1000000000000"),
        ("12.340", 12_340_000_000, "12.34"),
        ("0", 0, "0"),
    ])
    func parsesAndFormatsExactly(text: String, nanos: Int128, canonical: String) throws {
        let quantity = try Quantity.parse(decimalString: text)
        #expect(quantity.nanos == nanos)
        #expect(quantity.description == canonical)
        #expect(Quantity(decimalString: canonical) == quantity)
    }

    @Test(arguments: [
        ("-1", DecimalParseError.negative),
        ("0.0000000001", .tooManyFractionDigits(limit: 9)),
        ("1000000000000.000000001", .outOfRange(lowerBound: "0", upperBound: "1000000000000")),
        ("1e3", .invalidSyntax(offset: 1)),
        ("", .empty),
    ])
    func rejectsWithReason(text: String, reason: DecimalParseError) {
        #expect(throws: reason) { try Quantity.parse(decimalString: text) }
        #expect(Quantity(decimalString: text) == nil)
    }

    @Test func nanosAreRangeChecked() {
        #expect(Quantity(nanos: -1) == nil)
        #expect(Quantity(nanos: Quantity.maximum.nanos + 1) == nil)
        #expect(Quantity(nanos: 0) == .zero)
        #expect(Quantity(nanos: 7)! < Quantity(nanos: 8)!)
    }
}
