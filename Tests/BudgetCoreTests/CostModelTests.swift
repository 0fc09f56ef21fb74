import BudgetCore
import Testing

@Suite("Cost model: hand-computed cases")
struct CostModelTests {
    static let usd = Currency("USD")!

    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    static func card(_ version: Int, from: String, _ prices: [Resource: String]) -> RateCard {
        RateCard(
            version: version, effectiveFrom: at(from), currency: usd,
            prices: prices.mapValues { Price(decimalString: $0)! }
        )
    }

    static func sample(_ resource: Resource, _ quantity: Double, _ start: String, _ end: String) -> UsageSample {
        UsageSample(environment: "prod", service: "api", resource: resource, quantity: quantity, start: at(start), end: at(end))
    }

    static func total(_ pieces: [CostPiece]) -> Money { pieces.reduce(Money.zero) { $0 + $1.cost } }

    @Test("3 cores for 90 minutes at 0.04 per core-hour is exactly 0.18, split 0.12 + 0.06 by hour")
    func coresForNinetyMinutes() throws {
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.cpuCores: "0.04"])])
        let pieces = try CostModel.pieces(of: Self.sample(.cpuCores, 3, "2026-11-01T10:00:00Z", "2026-11-01T11:30:00Z"), history: history)
        #expect(pieces.map(\.hour) == [Self.at("2026-11-01T10:00:00Z"), Self.at("2026-11-01T11:00:00Z")])
        #expect(pieces.map(\.cost.decimalString) == ["0.12", "0.06"])
        #expect(Self.total(pieces).decimalString == "0.18")
        #expect(pieces.map(\.quantity) == [3.0, 1.5])  // core-hours
        #expect(pieces.allSatisfy { $0.rateVersion == 1 })
    }

    @Test("a counter is priced per unit and spread over its interval by time")
    func counter() throws {
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.requests: "0.0004", .egressGiB: "0.09"])])
        // 1,000 requests from 10:45 to 11:15: 500 in each hour, 0.20 each.
        let requests = try CostModel.pieces(of: Self.sample(.requests, 1000, "2026-11-01T10:45:00Z", "2026-11-01T11:15:00Z"), history: history)
        #expect(requests.map(\.cost.decimalString) == ["0.20", "0.20"])
        #expect(requests.map(\.quantity) == [500, 500])
        // 12.5 GiB of egress within one hour at 0.09 = 1.125.
        let egress = try CostModel.pieces(of: Self.sample(.egressGiB, 12.5, "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"), history: history)
        #expect(egress.map(\.cost.decimalString) == ["1.125"])
    }

    @Test("a counter split in thirds rounds each third once, half to even")
    func counterThirds() throws {
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.requests: "0.000000001"])])
        // 1 request at 1 nano-unit over 3 hours: each hour holds 1/3 nano-unit → rounds to 0.
        let pieces = try CostModel.pieces(of: Self.sample(.requests, 1, "2026-11-01T10:00:00Z", "2026-11-01T13:00:00Z"), history: history)
        #expect(pieces.count == 3)
        #expect(pieces.allSatisfy { $0.cost == .zero })
        // 3 requests at 0.000000001 over 2 hours: 1.5 nano-units per hour → 2 (even) each.
        let halves = try CostModel.pieces(of: Self.sample(.requests, 3, "2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z"), history: history)
        #expect(halves.map(\.cost.nanos) == [2, 2])
    }

    @Test("a price change in the middle of a sample splits it at the boundary")
    func priceChangeMidSample() throws {
        let history = RateCardHistory([
            Self.card(1, from: "2026-01-01T00:00:00Z", [.cpuCores: "0.04"]),
            Self.card(2, from: "2026-11-01T10:20:00Z", [.cpuCores: "0.10"]),
        ])
        // 6 cores 10:00–10:40: 20 min at 0.04 (0.08) and 20 min at 0.10 (0.20).
        let pieces = try CostModel.pieces(of: Self.sample(.cpuCores, 6, "2026-11-01T10:00:00Z", "2026-11-01T10:40:00Z"), history: history)
        #expect(pieces.map(\.rateVersion) == [1, 2])
        #expect(pieces.map(\.cost.decimalString) == ["0.08", "0.20"])
        #expect(pieces.map(\.hour) == [Self.at("2026-11-01T10:00:00Z"), Self.at("2026-11-01T10:00:00Z")])
        #expect(Self.total(pieces).decimalString == "0.28")
    }

    @Test("a sample across an hour and a month boundary lands in both months")
    func acrossMonthBoundary() throws {
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.memoryGiB: "0.005"])])
        // 16 GiB from 23:30 on 31 January to 00:30 on 1 February: 8 GiB-hours in each month at 0.005 = 0.04 each.
        let pieces = try CostModel.pieces(of: Self.sample(.memoryGiB, 16, "2026-01-31T23:30:00Z", "2026-02-01T00:30:00Z"), history: history)
        #expect(pieces.map(\.hour) == [Self.at("2026-01-31T23:00:00Z"), Self.at("2026-02-01T00:00:00Z")])
        #expect(pieces.map(\.cost.decimalString) == ["0.04", "0.04"])
        #expect(pieces.map(\.end) == [Self.at("2026-02-01T00:00:00Z"), Self.at("2026-02-01T00:30:00Z")])
    }

    @Test("usage without a price is counted as unpriced, never silently zero-priced")
    func unpriced() throws {
        let noCard = try CostModel.pieces(of: Self.sample(.cpuCores, 2, "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"), history: .empty)
        #expect(noCard.map(\.rateVersion) == [nil])
        #expect(noCard.map(\.quantity) == [2])
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.cpuCores: "0.04"])])
        let missingResource = try CostModel.pieces(of: Self.sample(.storageGiB, 100, "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"), history: history)
        #expect(missingResource.map(\.rateVersion) == [nil])
        #expect(missingResource.allSatisfy { !$0.isPriced && $0.cost == .zero })
        // Before the first version takes effect, usage is unpriced too.
        let before = try CostModel.pieces(of: Self.sample(.cpuCores, 1, "2025-12-31T23:00:00Z", "2026-01-01T01:00:00Z"), history: history)
        #expect(before.map(\.rateVersion) == [nil, 1])
    }

    @Test("an overflowing cost is an error, not a wrapped number")
    func overflow() {
        let history = RateCardHistory([Self.card(1, from: "2026-01-01T00:00:00Z", [.requests: "9000000"])])
        #expect(throws: CostModel.CostError.overflow) {
            try CostModel.pieces(of: Self.sample(.requests, 1e12, "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"), history: history)
        }
    }
}

@Suite("Forecast over real month lengths")
struct ForecastTests {
    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    struct Case: Sendable, CustomTestStringConvertible {
        var now: String
        var hoursLeft: Double
        var forecast: String
        var testDescription: String { now }
    }

    // Spend so far 100.00 and a run rate of 2.00 per hour in every case.
    static let cases: [Case] = [
        // 28-day month (February 2026): 672 hours.
        Case(now: "2026-02-01T00:00:00Z", hoursLeft: 672, forecast: "1444.00"),
        Case(now: "2026-02-15T00:00:00Z", hoursLeft: 336, forecast: "772.00"),
        Case(now: "2026-02-28T23:00:00Z", hoursLeft: 1, forecast: "102.00"),
        // 29-day February of a leap year: 696 hours.
        Case(now: "2028-02-01T00:00:00Z", hoursLeft: 696, forecast: "1492.00"),
        // 30-day month (November 2026): 720 hours.
        Case(now: "2026-11-01T00:00:00Z", hoursLeft: 720, forecast: "1540.00"),
        Case(now: "2026-11-15T00:00:00Z", hoursLeft: 384, forecast: "868.00"),
        Case(now: "2026-11-30T23:00:00Z", hoursLeft: 1, forecast: "102.00"),
        // 31-day month (December 2026): 744 hours.
        Case(now: "2026-12-01T00:00:00Z", hoursLeft: 744, forecast: "1588.00"),
        Case(now: "2026-12-15T00:00:00Z", hoursLeft: 408, forecast: "916.00"),
        Case(now: "2026-12-31T23:00:00Z", hoursLeft: 1, forecast: "102.00"),
        // Part-way through the last hour: 20 minutes left → 2.00 × 1/3 = 0.666666667 (rounded half to even).
        Case(now: "2026-12-31T23:40:00Z", hoursLeft: 1.0 / 3.0, forecast: "100.666666667"),
    ]

    @Test("spend so far + run rate × the real hours left in the month", arguments: cases)
    func forecast(_ testCase: Case) throws {
        let now = Self.at(testCase.now)
        let period = BillingPeriod.calendarMonth.bounds(containing: now)
        let projection = try #require(
            Forecast.project(spendSoFar: Money(decimalString: "100")!, runRatePerHour: Money(decimalString: "2")!, now: now, period: period)
        )
        #expect(abs(projection.hoursLeft - testCase.hoursLeft) < 1e-9)
        #expect(projection.forecast.decimalString == testCase.forecast)
    }

    @Test("a billing month starting on the 15th runs from the 15th to the 15th")
    func billingStartDay() {
        let period = BillingPeriod(kind: .month, startDay: 15)
        let mid = period.bounds(containing: Self.at("2026-11-20T10:00:00Z"))
        #expect(mid.start == Self.at("2026-11-15T00:00:00Z"))
        #expect(mid.end == Self.at("2026-12-15T00:00:00Z"))
        let early = period.bounds(containing: Self.at("2027-01-03T10:00:00Z"))
        #expect(early.start == Self.at("2026-12-15T00:00:00Z"))
        #expect(early.end == Self.at("2027-01-15T00:00:00Z"))
        let daily = BillingPeriod(kind: .day).bounds(containing: Self.at("2026-11-20T10:00:00Z"))
        #expect(daily.end.microseconds(since: daily.start) == Timestamp.microsecondsPerDay)
    }

    @Test("the run rate comes from the latest complete hour")
    func latestCompleteHour() {
        #expect(Forecast.latestCompleteHour(at: Self.at("2026-11-20T10:59:59Z")) == Self.at("2026-11-20T09:00:00Z"))
        #expect(Forecast.latestCompleteHour(at: Self.at("2026-11-20T10:00:00Z")) == Self.at("2026-11-20T09:00:00Z"))
    }
}
