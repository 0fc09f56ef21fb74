import Foundation
import Testing
import BudgetCore

@Suite struct MoneyParsingTests {
    @Test(arguments: [
        ("0", Int64(0)),
        ("-0", 0),
        ("0.00", 0),
        ("12.4", 12_400_000_000),
        ("12.40", 12_400_000_000),
        ("-3", -3_000_000_000),
        ("0.18", 180_000_000),
        ("0.000000001", 1),
        ("-0.000000001", -1),
        ("007.50", 7_500_000_000),
        ("50000", 50_000_000_000_000),
        ("1.123456789", 1_123_456_789),
        ("9223372036.854775807", .max),
        ("-9223372036.854775808", .min),
    ])
    func parsesExactly(text: String, nanos: Int64) throws {
        #expect(try Money.parse(decimalString: text).nanos == nanos)
        #expect(Money(decimalString: text)?.nanos == nanos)
    }

    @Test(arguments: [
        ("", DecimalParseError.empty),
        ("-", .invalidSyntax(offset: 1)),
        (".5", .invalidSyntax(offset: 0)),
        ("5.", .invalidSyntax(offset: 2)),
        ("-.5", .invalidSyntax(offset: 1)),
        ("+1", .invalidSyntax(offset: 0)),
        ("1e3", .invalidSyntax(offset: 1)),
        ("1E-3", .invalidSyntax(offset: 1)),
        ("1.5e3", .invalidSyntax(offset: 3)),
        (" 1", .invalidSyntax(offset: 0)),
        ("1 ", .invalidSyntax(offset: 1)),
        ("NaN", .invalidSyntax(offset: 0)),
        ("inf", .invalidSyntax(offset: 0)),
        ("1,000.00", .invalidSyntax(offset: 1)),
        ("1_000", .invalidSyntax(offset: 1)),
        ("1.2.3", .invalidSyntax(offset: 3)),
        ("--1", .invalidSyntax(offset: 1)),
        ("0x10", .invalidSyntax(offset: 1)),
        ("12USD", .invalidSyntax(offset: 2)),
        ("$12", .invalidSyntax(offset: 0)),
        ("١٢", .invalidSyntax(offset: 0)),
        ("1.0000000001", .tooManyFractionDigits(limit: 9)),
        ("1.0000000000", .tooManyFractionDigits(limit: 9)),
        ("9223372036.854775808", .outOfRange(lowerBound: "-9223372036.854775808", upperBound: "9223372036.854775807")),
        ("-9223372036.854775809", .outOfRange(lowerBound: "-9223372036.854775808", upperBound: "9223372036.854775807")),
        ("99999999999999999999999999", .outOfRange(lowerBound: "-9223372036.854775808", upperBound: "9223372036.854775807")),
    ])
    func rejectsWithReason(text: String, reason: DecimalParseError) {
        #expect(throws: reason) { try Money.parse(decimalString: text) }
        #expect(Money(decimalString: text) == nil)
    }

    @Test func explainsTheDecimalPlacesLimit() {
        #expect(DecimalParseError.tooManyFractionDigits(limit: 9).description == "at most 9 decimal places are allowed")
    }

    @Test func parsesSubstrings() {
        let field = "amount=48310.00;"
        #expect(Money(decimalString: field.dropFirst(7).dropLast())?.nanos == 48_310_000_000_000)
    }
}

@Suite struct MoneyFormattingTests {
    @Test(arguments: [
        (Int64(0), "0.00"),
        (180_000_000, "0.18"),
        (12_400_000_000, "12.40"),
        (1, "0.000000001"),
        (-1, "-0.000000001"),
        (-3_000_000_000, "-3.00"),
        (50_000_000_000_000, "50000.00"),
        (1_500_000_000, "1.50"),
        (1_234_567, "0.001234567"),
        (100, "0.0000001"),
        (10_000_000, "0.01"),
        (1_005_000_000, "1.005"),
        (-10_000_000, "-0.01"),
        (.max, "9223372036.854775807"),
        (.min, "-9223372036.854775808"),
    ])
    func canonicalDecimalText(nanos: Int64, text: String) {
        let money = Money(nanos: nanos)
        #expect(money.decimalString == text)
        #expect(money.description == text)
        #expect(money.formatted(grouping: false) == text)
        #expect(Money(decimalString: text) == money)
    }

    @Test(arguments: [
        (Int64(48_310_000_000_000), "48,310.00"),
        (0, "0.00"),
        (999_000_000_000, "999.00"),
        (1_000_000_000_000, "1,000.00"),
        (-1_234_567_500_000_000, "-1,234,567.50"),
        (123_456_789_000_000_001, "123,456,789.000000001"),
        (500_000_000, "0.50"),
        (.min, "-9,223,372,036.854775808"),
        (.max, "9,223,372,036.854775807"),
    ])
    func groupedForPeople(nanos: Int64, text: String) {
        #expect(Money(nanos: nanos).formatted(grouping: true) == text)
    }

    @Test func codesAsJSONString() throws {
        let amounts = [Money(nanos: 12_400_000_000), Money(nanos: -1), Money(nanos: .min)]
        let json = String(decoding: try JSONEncoder().encode(amounts), as: UTF8.self)
        #expect(json == #"["12.40","-0.000000001","-9223372036.854775808"]"#)
        #expect(try JSONDecoder().decode([Money].self, from: Data(json.utf8)) == amounts)
    }

    @Test func decodingRejectsNumbersAndBadText() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Money].self, from: Data("[12.4]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Money].self, from: Data(#"["1e3"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Money].self, from: Data(#"["0.0000000001"]"#.utf8)) }
    }
}

@Suite struct MoneyArithmeticTests {
    private func money(_ text: String) -> Money { Money(decimalString: text)! }

    @Test func addsAndSubtractsExactly() {
        // 0.1 + 0.2 is exactly 0.3 in fixed point (it is not in Double).
        #expect(money("0.1") + money("0.2") == money("0.3"))
        #expect(money("0.18") - money("0.20") == money("-0.02"))
        #expect(Money.zero + money("5") == money("5"))
        var total = Money.zero
        total += money("1.25")
        total -= money("0.05")
        #expect(total.decimalString == "1.20")
        #expect([money("3"), money("-5"), money("4")].sorted() == [money("-5"), money("3"), money("4")])
        #expect(money("-0.01").isNegative && !Money.zero.isNegative)
    }

    @Test func checkedVariantsReportOverflow() {
        let max = Money(nanos: .max)
        let min = Money(nanos: .min)
        #expect(max.adding(Money(nanos: 1)) == nil)
        #expect(max.adding(Money(nanos: -1)) == Money(nanos: .max - 1))
        #expect(min.subtracting(Money(nanos: 1)) == nil)
        #expect(Money.zero.subtracting(min) == nil)
        #expect(money("1.5").adding(money("2.25")) == money("3.75"))
        #expect(money("1.5").subtracting(money("2.25")) == money("-0.75"))
        #expect(money("0.18").multiplied(by: 3) == money("0.54"))
        #expect(money("-0.18").multiplied(by: -3) == money("0.54"))
        #expect(max.multiplied(by: 2) == nil)
        #expect(min.multiplied(by: -1) == nil)
    }

    @Test(arguments: [
        (Int64(1_000_000_000), 3, Int64(333_333_333)),  // 0.333333333|33… rounds down
        (2_000_000_000, 3, 666_666_667),                // 0.666666666|67… rounds up
        (5, 2, 2),      // 2.5 → even 2
        (7, 2, 4),      // 3.5 → even 4
        (-5, 2, -2),    // -2.5 → even -2
        (-7, 2, -4),    // -3.5 → even -4
        (10, -4, -2),   // -2.5 → even -2
        (-10, -4, 2),   // 2.5 → even 2
        (6, 4, 2),      // 1.5 → even 2
        (1, 3, 0),      // 0.33… → 0
        (2, 3, 1),      // 0.66… → 1
        (-2, 3, -1),
        (.min, 1, .min),
        (.max, -1, -.max),
    ])
    func dividesRoundingHalfToEven(nanos: Int64, divisor: Int, quotient: Int64) {
        #expect(Money(nanos: nanos).divided(by: divisor)?.nanos == quotient)
    }

    @Test func divisionWithoutAResultIsNil() {
        #expect(Money(nanos: 5).divided(by: 0) == nil)
        #expect(Money(nanos: .min).divided(by: -1) == nil)
    }

    @Test func percentIsForDisplay() {
        #expect(money("40").percent(of: money("50")) == 80)
        #expect(money("-25").percent(of: money("50")) == -50)
        #expect(money("75").percent(of: money("50")) == 150)
        #expect(Money.zero.percent(of: .zero) == 0)
        #expect(money("1").percent(of: .zero) == .infinity)
    }
}

@Suite struct CostArithmeticTests {
    private func quantity(_ text: String) -> Quantity { Quantity(decimalString: text)! }
    private func price(_ text: String) -> Price { Price(decimalString: text)! }
    private let hour: Int64 = 3_600_000_000

    @Test func coresForNinetyMinutes() {
        // 3 cores × 1.5 h × 0.04 per core-hour = 0.18.
        let cost = CostArithmetic.gaugeCost(quantity: quantity("3"), duration: .minutes(90), pricePerUnitHour: price("0.04"))
        #expect(cost?.decimalString == "0.18")
        #expect(cost?.nanos == 180_000_000)
    }

    @Test func halfGiBForOneSecondRoundsToOneNanoUnit() {
        // 0.5 GiB × (1/3600) h × 0.000005 per GiB-hour = 0.0000025 / 3600 = 0.000000000694444…
        // = 0.694444… nano-units, which is past half a nano-unit: rounds up to 1 (0.000000001).
        // In units: 500_000_000 nanoGiB × 1_000_000 µs × 5_000_000 picos = 2.5e21;
        // 2.5e21 / 3.6e21 = 0 remainder 2.5e21, and 2 × 2.5e21 > 3.6e21, so up.
        let cost = CostArithmetic.gaugeCost(quantity: quantity("0.5"), durationMicroseconds: 1_000_000, pricePerUnitHour: price("0.000005"))
        #expect(cost == Money(nanos: 1))
        #expect(cost?.decimalString == "0.000000001")
        // A quarter of that, 0.1736… nano-units, rounds down to zero.
        #expect(CostArithmetic.gaugeCost(quantity: quantity("0.125"), durationMicroseconds: 1_000_000, pricePerUnitHour: price("0.000005")) == .zero)
    }

    @Test(arguments: [
        // Products landing exactly on half a nano-unit round to the even neighbour.
        ("1", "0.0000000005", Int64(0)),    // 0.5 → 0
        ("1", "0.0000000015", 2),           // 1.5 → 2
        ("1", "0.0000000025", 2),           // 2.5 → 2
        ("1", "0.0000000035", 4),           // 3.5 → 4
        ("0.5", "0.000000005", 2),          // 2.5 → 2
        ("1.5", "0.000000005", 8),          // 7.5 → 8
        ("3", "0.1234567895", 370_370_368), // 0.3703703685 → 0.370370368 (8 is even)
        ("3", "0.1234567885", 370_370_366), // 0.3703703655 → 0.370370366 (6 is even)
        ("1.000000001", "0.0000000025", 3), // 2.5000000025 → just past the tie → up
        ("0.999999999", "0.0000000025", 2), // 2.4999999975 → just short of the tie → down
    ])
    func counterTiesRoundHalfToEven(quantity quantityText: String, price priceText: String, nanos: Int64) throws {
        let cost = CostArithmetic.counterCost(quantity: quantity(quantityText), pricePerUnit: try #require(Price(decimalString: priceText)))
        #expect(cost?.nanos == nanos)
    }

    @Test func gaugeTiesRoundHalfToEvenBothWays() {
        // 1 unit × 1 h at 0.0000000025 per unit-hour = 2.5 nano-units → 2; at …35 → 3.5 → 4.
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: hour, pricePerUnitHour: price("0.0000000025"))?.nanos == 2)
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: hour, pricePerUnitHour: price("0.0000000035"))?.nanos == 4)
        // 1 unit × 0.5 h at 0.000000005 = 2.5 → 2; at 0.000000007 = 3.5 → 4.
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: hour / 2, pricePerUnitHour: price("0.000000005"))?.nanos == 2)
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: hour / 2, pricePerUnitHour: price("0.000000007"))?.nanos == 4)
        // A negative duration mirrors the result: -2.5 → -2, -3.5 → -4.
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: -hour / 2, pricePerUnitHour: price("0.000000005"))?.nanos == -2)
        #expect(CostArithmetic.gaugeCost(quantity: quantity("1"), durationMicroseconds: -hour / 2, pricePerUnitHour: price("0.000000007"))?.nanos == -4)
    }

    @Test func requestsCounter() {
        // 2 requests × 0.0000004 = 0.0000008.
        #expect(CostArithmetic.counterCost(quantity: quantity("2"), pricePerUnit: price("0.0000004"))?.decimalString == "0.0000008")
        #expect(CostArithmetic.counterCost(quantity: .zero, pricePerUnit: price("123.45")) == .zero)
        #expect(CostArithmetic.counterCost(quantity: quantity("1000000"), pricePerUnit: .zero) == .zero)
    }

    @Test func resultsThatDoNotFitMoneyAreNil() {
        // 10^12 GiB × 10 per GiB = 10^13 units = 10^22 nano-units > Int64.max (≈ 9.22 × 10^18).
        #expect(CostArithmetic.counterCost(quantity: .maximum, pricePerUnit: price("10")) == nil)
        // The same 10^12 units at 0.009223372036 each is 9223372036.000000000: it fits.
        #expect(CostArithmetic.counterCost(quantity: .maximum, pricePerUnit: price("0.009223372036"))?.decimalString == "9223372036.00")
        // 10^12 cores for an hour at the largest price: the intermediate exceeds 2^128, the result Int64.
        let largestPrice = Price(picos: .max)!
        #expect(CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: hour, pricePerUnitHour: largestPrice) == nil)
        #expect(CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: .max, pricePerUnitHour: largestPrice) == nil)
    }

    @Test func exactlyInt64MaxFits() {
        // 9223372036.854775807 units × 1.00 = Int64.max nano-units; one nano-unit more does not fit.
        let atMax = Quantity(nanos: Int128(Int64.max))!
        #expect(CostArithmetic.counterCost(quantity: atMax, pricePerUnit: price("1"))?.nanos == .max)
        let pastMax = Quantity(nanos: Int128(Int64.max) + 1)!
        #expect(CostArithmetic.counterCost(quantity: pastMax, pricePerUnit: price("1")) == nil)
        // Negative results may reach Int64.min: -(2^63) nano-units through a negative duration.
        let twoTo63 = Quantity(nanos: Int128(Int64.max) + 1)!
        #expect(CostArithmetic.gaugeCost(quantity: twoTo63, durationMicroseconds: -hour, pricePerUnitHour: price("1"))?.nanos == .min)
    }

    @Test func wideIntermediatesStayExact() {
        // 10^12 units × 9e18 µs (= 2.5e9 h) × 0.000000000001 per unit-hour = 2.5e9 units:
        // quantity × duration alone is 9e39 > 2^128, so this takes the 384-bit path.
        let cost = CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: 9_000_000_000_000_000_000, pricePerUnitHour: price("0.000000000001"))
        #expect(cost?.decimalString == "2500000000.00")
        // 10^12 units × 1 h × 0.000001 = 10^6 units (the product 3.6e36 still fits 128 bits).
        #expect(CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: hour, pricePerUnitHour: price("0.000001"))?.decimalString == "1000000.00")
        // 10^12 units × 1 µs × 0.000000000001 = 10^12 / 3.6e9 × 10^-12 units = 2.777…e-10 → 0.28 nano → 0.
        #expect(CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: 1, pricePerUnitHour: price("0.000000000001")) == .zero)
        // 10^12 units × 1 µs × 1.00 per unit-hour = 10^12 / 3.6e9 = 277.777777777|8 → 277.777777778.
        #expect(CostArithmetic.gaugeCost(quantity: .maximum, durationMicroseconds: 1, pricePerUnitHour: price("1"))?.decimalString == "277.777777778")
    }

    @Test func unitHoursForDisplay() {
        #expect(CostArithmetic.unitHours(quantity: quantity("3"), durationMicroseconds: 5_400_000_000) == 4.5)
        #expect(CostArithmetic.unitHours(quantity: quantity("0.5"), durationMicroseconds: hour * 2) == 1)
    }
}
