/// A billed cost line from a provider's bill, beside the estimate.
public struct BilledCost: Sendable, Hashable, Codable {
    public var chargePeriodStart: Timestamp
    public var chargePeriodEnd: Timestamp
    public var environment: String
    public var service: String
    public var provider: String?
    public var providerService: String?
    public var chargeCategory: String?
    public var currency: Currency
    public var billedCost: Money
    public var effectiveCost: Money

    public init(
        chargePeriodStart: Timestamp, chargePeriodEnd: Timestamp, environment: String, service: String, provider: String?,
        providerService: String?, chargeCategory: String?, currency: Currency, billedCost: Money, effectiveCost: Money
    ) {
        self.chargePeriodStart = chargePeriodStart
        self.chargePeriodEnd = chargePeriodEnd
        self.environment = environment
        self.service = service
        self.provider = provider
        self.providerService = providerService
        self.chargeCategory = chargeCategory
        self.currency = currency
        self.billedCost = billedCost
        self.effectiveCost = effectiveCost
    }

    enum CodingKeys: String, CodingKey {
        case environment, service, provider, currency
        case chargePeriodStart = "charge_period_start"
        case chargePeriodEnd = "charge_period_end"
        case providerService = "provider_service"
        case chargeCategory = "charge_category"
        case billedCost = "billed_cost"
        case effectiveCost = "effective_cost"
    }
}

/// Reads FinOps FOCUS 1.0 billing exports (CSV, as AWS, Azure, Google Cloud and Oracle write them).
///
/// Environment and service come from the `Tags` JSON object (keys configurable; default `environment` and
/// `application`); a row without the service tag falls back to `ServiceName`, one without the environment tag
/// to `untagged`. Names are folded to the partition-key rule (lower case, other characters become `-`).
public struct FocusReader: Sendable {
    public struct Mapping: Sendable {
        public var environmentTag: String
        public var serviceTag: String

        public init(environmentTag: String = "environment", serviceTag: String = "application") {
            self.environmentTag = environmentTag
            self.serviceTag = serviceTag
        }
    }

    static let required = ["ChargePeriodStart", "ChargePeriodEnd", "BilledCost", "EffectiveCost", "BillingCurrency", "ServiceName"]

    let mapping: Mapping
    let columns: [String: Int]

    /// Reads the header line; throws naming the missing FOCUS columns.
    public init(header: some StringProtocol, mapping: Mapping = Mapping()) throws(FieldError) {
        var columns: [String: Int] = [:]
        for (index, field) in CSVLine.split(header).enumerated() {
            var name = field.text.trimmingSpaces()
            if name.hasPrefix("\u{FEFF}") { name.removeFirst() }
            columns[name] = index
        }
        let missing = Self.required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw FieldError(code: "not_focus", message: "not a FOCUS 1.0 export: the header lacks \(missing.joined(separator: ", "))", field: "line 1")
        }
        self.mapping = mapping
        self.columns = columns
    }

    /// Reads one data line (`number` is 1-based, for error messages).
    public func record(_ line: some StringProtocol, number: Int) -> Result<BilledCost, FieldError> {
        let fields = CSVLine.split(line)
        func value(_ column: String) -> String? {
            guard let index = columns[column], index < fields.count else { return nil }
            let field = fields[index]
            let text = field.text.trimmingSpaces()
            if text.isEmpty || (!field.quoted && text == "NULL") { return nil }
            return text
        }
        func failure(_ column: String, _ message: String) -> Result<BilledCost, FieldError> {
            .failure(FieldError(code: "invalid_row", message: "line \(number): \(column) \(message)", field: "line \(number).\(column)"))
        }
        guard fields.count >= columns.count || fields.count >= (columns.values.max() ?? 0) + 1 else {
            return .failure(FieldError(code: "invalid_row", message: "line \(number): has \(fields.count) fields, the header has \(columns.count)", field: "line \(number)"))
        }
        guard let startText = value("ChargePeriodStart"), let start = Self.timestamp(startText) else {
            return failure("ChargePeriodStart", "is missing or not a timestamp")
        }
        guard let endText = value("ChargePeriodEnd"), let end = Self.timestamp(endText), end > start else {
            return failure("ChargePeriodEnd", "is missing, not a timestamp, or not after ChargePeriodStart")
        }
        guard let billedText = value("BilledCost"), let billed = Self.money(billedText) else {
            return failure("BilledCost", "is missing or not a decimal number")
        }
        guard let effectiveText = value("EffectiveCost"), let effective = Self.money(effectiveText) else {
            return failure("EffectiveCost", "is missing or not a decimal number")
        }
        guard let currencyText = value("BillingCurrency"), let currency = Currency(currencyText) else {
            return failure("BillingCurrency", "is missing or not a three-letter currency code")
        }
        let tags = value("Tags").map(TagsObject.parse) ?? [:]
        let providerService = value("ServiceName")
        let service = Self.partitionKey(tags[mapping.serviceTag] ?? providerService ?? "unknown")
        let environment = Self.partitionKey(tags[mapping.environmentTag] ?? "untagged")
        return .success(
            BilledCost(
                chargePeriodStart: start, chargePeriodEnd: end, environment: environment, service: service,
                provider: value("ProviderName"), providerService: providerService, chargeCategory: value("ChargeCategory"),
                currency: currency, billedCost: billed, effectiveCost: effective
            )
        )
    }

    /// FOCUS timestamps are UTC; exports write them with or without the `T` and the offset.
    static func timestamp(_ text: String) -> Timestamp? {
        if let timestamp = Timestamp(rfc3339: text) { return timestamp }
        return Timestamp(rfc3339: text + "Z")
    }

    /// A decimal amount, rounded once, half to even, to the nano-unit (exports carry up to ~15 decimals).
    static func money(_ text: String) -> Money? {
        var digits = Substring(text)
        var negative = false
        if digits.hasPrefix("-") {
            negative = true
            digits = digits.dropFirst()
        } else if digits.hasPrefix("+") {
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2, whole.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.allSatisfy(\.isASCIIDigit), !(whole.isEmpty && fraction.isEmpty) else { return nil }
        let kept = fraction.prefix(Money.fractionDigits)
        let rest = fraction.dropFirst(Money.fractionDigits)
        guard var nanos = Int64((whole.isEmpty ? "0" : String(whole)) + String(kept) + String(repeating: "0", count: Money.fractionDigits - kept.count))
        else { return nil }
        if let first = rest.first {
            let tail = rest.dropFirst()
            let above = first > "5" || (first == "5" && tail.contains { $0 != "0" })
            let tie = first == "5" && !tail.contains { $0 != "0" }
            if above || (tie && nanos % 2 == 1) { nanos += 1 }
        }
        return Money(nanos: negative ? -nanos : nanos)
    }

    /// Folds a tag value to the partition-key rule: lower case; anything else becomes `-`; at most 63 characters.
    static func partitionKey(_ text: String) -> String {
        var folded = String(text.lowercased().map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "_" || character == "-") ? character : "-"
        })
        while let first = folded.first, !(first.isLetter || first.isNumber) { folded.removeFirst() }
        folded = String(folded.prefix(63))
        return folded.isEmpty ? "unknown" : folded
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// The flat string values of a FOCUS `Tags` JSON object (`{"environment": "dev", ...}`).
enum TagsObject {
    static func parse(_ text: String) -> [String: String] {
        // A small reader for a flat object of strings; nested values are skipped.
        var result: [String: String] = [:]
        let bytes = Array(text.utf8)
        var index = 0
        func skipSpace() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D { index += 1 } }
        func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            var out: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                    index += 1
                }
                out.append(bytes[index])
                index += 1
            }
            index += 1
            return String(decoding: out, as: UTF8.self)
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return [:] }
        index += 1
        while index < bytes.count {
            skipSpace()
            guard let key = string() else { break }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { break }
            index += 1
            skipSpace()
            if let value = string() {
                result[key] = value
            } else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "}") { index += 1 }
            }
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 } else { break }
        }
        return result
    }
}
