import BudgetCore
import Testing

@Suite("FOCUS 1.0 billing export reader")
struct FocusReaderTests {
    static let header = #""BilledCost","BillingCurrency","ChargeCategory","ChargePeriodEnd","ChargePeriodStart","EffectiveCost","ProviderName","ServiceName","Tags""#

    static func reader() throws -> FocusReader { try FocusReader(header: header) }

    @Test("a usage row takes environment and service from its tags")
    func usageRow() throws {
        let line = #"0.00001605990,"USD","Usage","2024-09-30 23:00:00","2024-09-30 22:00:00",0.00000000000,"AWS","Elastic Load Balancing","{""application"": ""BrightLensMatrix"", ""environment"": ""dev""}""#
        let cost = try Self.reader().record(line, number: 2).get()
        #expect(cost.environment == "dev")
        #expect(cost.service == "brightlensmatrix")
        #expect(cost.providerService == "Elastic Load Balancing")
        #expect(cost.chargePeriodStart == Timestamp(rfc3339: "2024-09-30T22:00:00Z"))
        // 0.00001605990 has 11 decimals: rounded once, half to even, to 0.000016060.
        #expect(cost.billedCost.decimalString == "0.00001606")
        #expect(cost.effectiveCost == .zero)
        #expect(cost.chargeCategory == "Usage")
    }

    @Test("a row without tags falls back to ServiceName and the untagged environment; NULL is empty")
    func untagged() throws {
        let line = #"0.00000080000,"USD","Usage","2024-09-18 23:00:00","2024-09-18 22:00:00",0.00000000000,"AWS","Amazon Simple Queue Service",NULL"#
        let cost = try Self.reader().record(line, number: 3).get()
        #expect(cost.environment == "untagged")
        #expect(cost.service == "amazon-simple-queue-service")
        #expect(cost.billedCost.decimalString == "0.0000008")
    }

    @Test("an adjustment and a credit (negative) are kept with their sign")
    func adjustmentAndCredit() throws {
        let adjustment = #"1.25,"USD","Adjustment","2024-10-01 00:00:00","2024-09-01 00:00:00",1.25,"AWS","Amazon EC2","{""environment"": ""prod"", ""application"": ""api""}""#
        let credit = #"-3.000000000500,"USD","Credit","2024-10-01 00:00:00","2024-09-01 00:00:00",-3,"AWS","Amazon EC2","{""environment"": ""prod"", ""application"": ""api""}""#
        let reader = try Self.reader()
        #expect(try reader.record(adjustment, number: 4).get().billedCost.decimalString == "1.25")
        // -3.0000000005: exactly half a nano-unit → to even (-3.000000000).
        #expect(try reader.record(credit, number: 5).get().billedCost.decimalString == "-3.00")
        #expect(try reader.record(credit, number: 5).get().chargeCategory == "Credit")
    }

    @Test("bad rows name their line and column")
    func badRows() throws {
        let reader = try Self.reader()
        let missingCost = #"NULL,"USD","Usage","2024-09-30 23:00:00","2024-09-30 22:00:00",0,"AWS","X",NULL"#
        #expect(throws: FieldError.self) { try reader.record(missingCost, number: 7).get() }
        #expect((try? reader.record(missingCost, number: 7).get()) == nil)
        if case .failure(let error) = reader.record(missingCost, number: 7) {
            #expect(error.message.hasPrefix("line 7: BilledCost"))
        }
        let badCurrency = #"1,"dollars","Usage","2024-09-30 23:00:00","2024-09-30 22:00:00",1,"AWS","X",NULL"#
        if case .failure(let error) = reader.record(badCurrency, number: 8) { #expect(error.field == "line 8.BillingCurrency") } else { Issue.record("accepted a bad currency") }
        let backwards = #"1,"USD","Usage","2024-09-30 21:00:00","2024-09-30 22:00:00",1,"AWS","X",NULL"#
        if case .failure(let error) = reader.record(backwards, number: 9) { #expect(error.field == "line 9.ChargePeriodEnd") } else { Issue.record("accepted an end before the start") }
    }

    @Test("a file that is not FOCUS is refused by its header")
    func notFocus() {
        #expect(throws: FieldError.self) { try FocusReader(header: "environment,service,resource,quantity,start,end") }
    }

    @Test("quoted fields keep commas and doubled quotes")
    func csv() {
        let fields = CSVLine.split(#"a,"b,c","say ""hi""",NULL,"""#)
        #expect(fields.map(\.text) == ["a", "b,c", #"say "hi""#, "NULL", ""])
        #expect(fields.map(\.quoted) == [false, true, true, false, true])
    }
}
