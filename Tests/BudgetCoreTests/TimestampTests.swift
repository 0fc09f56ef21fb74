import Foundation
import Testing
import BudgetCore

@Suite struct TimestampParsingTests {
    // Expected seconds are from GNU `date -u -d TEXT +%s`, not from this code.
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2024-02-29T12:34:56Z", 1_709_210_096),
        ("1999-12-31T23:59:59Z", 946_684_799),
        ("1969-12-31T23:59:59Z", -1),
        ("1900-02-01T00:00:00Z", -2_206_310_400),
        ("0001-01-01T00:00:00Z", -62_135_596_800),
        ("9999-12-31T23:59:59Z", 253_402_300_799),
        ("2024-01-01T00:00:00+01:00", 1_704_063_600),
        ("2024-01-01T00:00:00-05:30", 1_704_087_000),
        ("2024-01-01T00:00:00-00:00", 1_704_067_200),
        ("2024-01-01t00:00:00z", 1_704_067_200),
        ("2024-01-01 00:00:00Z", 1_704_067_200),
        ("2024-01-01T23:59:00+23:59", 1_704_067_200),
    ])
    func parsesWholeSeconds(text: String, seconds: Int64) throws {
        let timestamp = try Timestamp.parse(rfc3339: text)
        #expect(timestamp.microsecondsSinceEpoch == seconds * 1_000_000)
        #expect(Timestamp(rfc3339: text) == timestamp)
    }

    @Test(arguments: [
        (".5", Int64(500_000)),
        (".000001", 1),
        (".123456", 123_456),
        (".1234564", 123_456),
        (".1234566", 123_457),
        (".123456789", 123_457),
        (".1234565", 123_456),   // tie: stays on the even 6
        (".1234575", 123_458),   // tie: up to the even 8
        (".0000005", 0),         // tie: down to the even 0
        (".0000015", 2),         // tie: up to the even 2
        (".000000500", 0),
        (".000000501", 1),
        (".999999", 999_999),
        (".9999995", 1_000_000), // tie: rounds into the next second
        (".000000000", 0),
    ])
    func roundsFractionHalfEvenToMicroseconds(fraction: String, micros: Int64) throws {
        let timestamp = try Timestamp.parse(rfc3339: "1970-01-01T00:00:00\(fraction)Z")
        #expect(timestamp.microsecondsSinceEpoch == micros)
    }

    @Test func fractionBeforeEpochCountsForwardFromTheSecond() throws {
        // 23:59:59.5 on 1969-12-31 is half a second before the epoch.
        #expect(try Timestamp.parse(rfc3339: "1969-12-31T23:59:59.5Z").microsecondsSinceEpoch == -500_000)
    }

    @Test func offsetsNameTheSameInstant() throws {
        let utc = try Timestamp.parse(rfc3339: "2024-03-10T12:00:00Z")
        #expect(try Timestamp.parse(rfc3339: "2024-03-10T13:00:00+01:00") == utc)
        #expect(try Timestamp.parse(rfc3339: "2024-03-10T06:30:00-05:30") == utc)
        // Crossing a day boundary (and the month boundary) through the offset.
        #expect(try Timestamp.parse(rfc3339: "2024-03-01T00:30:00+01:00")
            == Timestamp(year: 2024, month: 2, day: 29, hour: 23, minute: 30))
    }

    @Test func acceptsSubstrings() throws {
        let line = "start=2024-02-29T12:34:56Z;"
        let slice = line.dropFirst(6).dropLast()
        #expect(Timestamp(rfc3339: slice)?.seconds == 1_709_210_096)
    }

    @Test(arguments: [
        ("", RFC3339Error.invalidSyntax(offset: 0)),
        ("2024-01-01", .invalidSyntax(offset: 10)),
        ("2024-01-01T00:00Z", .invalidSyntax(offset: 16)),
        ("2024-1-01T00:00:00Z", .invalidSyntax(offset: 6)),
        ("24-01-01T00:00:00Z", .invalidSyntax(offset: 2)),
        ("2024/01/01T00:00:00Z", .invalidSyntax(offset: 4)),
        ("2024-01-01X00:00:00Z", .invalidSyntax(offset: 10)),
        ("2024-01-01T00:00:00", .missingOffset),
        ("2024-01-01T00:00:00.5", .missingOffset),
        ("2024-01-01T00:00:00.Z", .invalidSyntax(offset: 20)),
        ("2024-01-01T00:00:00.1234567891Z", .fractionTooLong),
        ("2024-01-01T00:00:00,5Z", .invalidSyntax(offset: 19)),
        ("2024-01-01T00:00:00Z ", .invalidSyntax(offset: 20)),
        (" 2024-01-01T00:00:00Z", .invalidSyntax(offset: 0)),
        ("2024-01-01T00:00:00+01", .invalidSyntax(offset: 22)),
        ("2024-01-01T00:00:00+0100", .invalidSyntax(offset: 22)),
        ("2024-01-01T00:00:00UTC", .invalidSyntax(offset: 19)),
        ("2024-01-01T00:00:00+24:00", .offsetOutOfRange),
        ("2024-01-01T00:00:00+01:60", .offsetOutOfRange),
        ("0000-01-01T00:00:00Z", .yearOutOfRange(0)),
        ("2024-00-10T00:00:00Z", .monthOutOfRange(0)),
        ("2024-13-01T00:00:00Z", .monthOutOfRange(13)),
        ("2024-01-00T00:00:00Z", .dayOutOfRange(year: 2024, month: 1, day: 0)),
        ("2024-01-32T00:00:00Z", .dayOutOfRange(year: 2024, month: 1, day: 32)),
        ("2024-04-31T00:00:00Z", .dayOutOfRange(year: 2024, month: 4, day: 31)),
        ("2024-02-30T00:00:00Z", .dayOutOfRange(year: 2024, month: 2, day: 30)),
        ("2023-02-29T00:00:00Z", .dayOutOfRange(year: 2023, month: 2, day: 29)),
        ("1900-02-29T00:00:00Z", .dayOutOfRange(year: 1900, month: 2, day: 29)),
        ("2024-01-01T24:00:00Z", .hourOutOfRange(24)),
        ("2024-01-01T00:60:00Z", .minuteOutOfRange(60)),
        ("2016-12-31T23:59:60Z", .leapSecond),
        ("2024-01-01T00:00:61Z", .secondOutOfRange(61)),
        ("２０２４-01-01T00:00:00Z", .invalidSyntax(offset: 0)),
    ])
    func rejectsWithReason(text: String, reason: RFC3339Error) {
        #expect(throws: reason) { try Timestamp.parse(rfc3339: text) }
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func acceptsLeapDaysOfLeapYears() {
        #expect(Timestamp(rfc3339: "2000-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "1600-02-29T00:00:00Z")?.seconds == -11_670_998_400)
    }

    @Test func errorMessagesNameTheProblem() {
        #expect(RFC3339Error.missingOffset.description.contains("Z for UTC"))
        #expect(RFC3339Error.dayOutOfRange(year: 2023, month: 2, day: 29).description == "day 29 does not exist in 2023-02")
        #expect(RFC3339Error.leapSecond.description.contains("leap second"))
    }
}

@Suite struct TimestampFormattingTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000001Z"),
        (500_000, "1970-01-01T00:00:00.500000Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (-500_000, "1969-12-31T23:59:59.500000Z"),
        (-1_000_000, "1969-12-31T23:59:59Z"),
        (1_709_210_096_000_000, "2024-02-29T12:34:56Z"),
        (1_709_210_096_120_000, "2024-02-29T12:34:56.120000Z"),
        (-62_135_596_800_000_000, "0001-01-01T00:00:00Z"),
        (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
    ])
    func formatsUTC(micros: Int64, text: String) {
        let timestamp = Timestamp(microsecondsSinceEpoch: micros)
        #expect(timestamp.rfc3339 == text)
        #expect(timestamp.description == text)
    }

    @Test func formatsYearsBeyondRFC3339InExpandedForm() {
        // Int64.max µs = 9223372036854.775807 s; Int64.min µs = -9223372036855 s + 0.224192 s
        // (`date -u -d @9223372036854` is 294247-01-10T04:00:54, `@-9223372036855` is -290308-12-21T19:59:05).
        #expect(Timestamp(microsecondsSinceEpoch: .max).rfc3339 == "+294247-01-10T04:00:54.775807Z")
        #expect(Timestamp(microsecondsSinceEpoch: .min).rfc3339 == "-290308-12-21T19:59:05.224192Z")
        #expect(Timestamp(year: 9999, month: 12, day: 31)!.startOfNextDay.rfc3339 == "+10000-01-01T00:00:00Z")
    }

    @Test func roundTripsThroughText() throws {
        // A deterministic spread of instants over 0001...9999, both sides of the epoch.
        let span = Timestamp.rfc3339Range.upperBound.microsecondsSinceEpoch
            - Timestamp.rfc3339Range.lowerBound.microsecondsSinceEpoch
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let micros = Timestamp.rfc3339Range.lowerBound.microsecondsSinceEpoch + Int64(state % UInt64(span))
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            #expect(try Timestamp.parse(rfc3339: timestamp.rfc3339) == timestamp)
        }
        for micros: Int64 in [-1, 0, 1, 999_999, -999_999, 1_000_000] {
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            #expect(try Timestamp.parse(rfc3339: timestamp.rfc3339) == timestamp)
        }
    }
}

@Suite struct TimestampValueTests {
    @Test func secondsRoundDown() {
        #expect(Timestamp(microsecondsSinceEpoch: 1_999_999).seconds == 1)
        #expect(Timestamp(microsecondsSinceEpoch: -1).seconds == -1)
        #expect(Timestamp(microsecondsSinceEpoch: -1).microsecondOfSecond == 999_999)
        #expect(Timestamp(microsecondsSinceEpoch: -1_000_000).seconds == -1)
        #expect(Timestamp(microsecondsSinceEpoch: -1_000_001).seconds == -2)
        #expect(Timestamp(seconds: -3).microsecondsSinceEpoch == -3_000_000)
    }

    @Test func timeSpanArithmeticIsExact() throws {
        let start = try Timestamp.parse(rfc3339: "2024-01-31T23:30:00Z")
        let end = start + .minutes(90)
        #expect(end.rfc3339 == "2024-02-01T01:00:00Z")
        #expect((end - start).microseconds == 5_400_000_000)
        #expect(end.microseconds(since: start) == 5_400_000_000)
        #expect(start.microseconds(since: end) == -5_400_000_000)
        #expect((end - start).totalHours == 1.5)
        #expect(end - .minutes(90) == start)
        #expect(TimeSpan.hours(2) + .seconds(1) - .microseconds(1) == .microseconds(7_200_999_999))
        #expect(TimeSpan.days(1) == .hours(24))
        var moving = start
        moving += .seconds(30)
        moving -= .seconds(10)
        #expect(moving.rfc3339 == "2024-01-31T23:30:20Z")
    }

    @Test func ordersChronologically() {
        let times = [5, -3, 0, 2].map { Timestamp(seconds: $0) }
        #expect(times.sorted().map(\.seconds) == [-3, 0, 2, 5])
        #expect(TimeSpan.seconds(-1) < .zero)
    }

    @Test func codesAsRFC3339String() throws {
        let timestamp = try Timestamp.parse(rfc3339: "2024-02-29T12:34:56.25+01:00")
        let json = String(decoding: try JSONEncoder().encode([timestamp]), as: UTF8.self)
        #expect(json == #"["2024-02-29T11:34:56.250000Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: Data(json.utf8)) == [timestamp])
    }

    @Test func decodingRejectsInvalidText() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["2024-02-30T00:00:00Z"]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data("[1709210096]".utf8))
        }
    }

    @Test func encodingRejectsYearsOutsideRFC3339() {
        #expect(throws: EncodingError.self) {
            try JSONEncoder().encode([Timestamp(microsecondsSinceEpoch: .max)])
        }
        #expect(throws: EncodingError.self) {
            try JSONEncoder().encode([Timestamp.rfc3339Range.lowerBound - .microseconds(1)])
        }
    }
}
