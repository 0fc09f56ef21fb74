import BudgetCore

/// A Kubernetes resource quantity (`500m`, `2`, `4Gi`, `1G`, `1.5e3`, `.5`) read exactly: a decimal significand
/// times a power of ten and a power of two, never a `Double`.
///
/// The grammar is apimachinery's (`k8s.io/apimachinery/pkg/api/resource`): a signed decimal number and one
/// suffix — binary `Ki Mi Gi Ti Pi Ei`, decimal `n u m k M G T P E`, or an exponent `e3`/`E-2`. A bare `E` is
/// exa; `E` followed by digits is an exponent, as there.
struct KubernetesQuantity: Sendable, Hashable {
    /// significand × 10^decimalExponent × 2^binaryExponent; the significand has no trailing zeros.
    var significand: UInt64
    var decimalExponent: Int
    var binaryExponent: Int

    struct Invalid: Error, Sendable {
        var message: String
    }

    /// Significant digits kept exactly; more is refused rather than rounded (no real request needs 20).
    static let maximumDigits = 19

    init(parsing text: String) throws(Invalid) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 else { throw Invalid(message: "a quantity has 1 to 64 characters") }
        var index = 0
        if bytes[index] == UInt8(ascii: "+") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "-") {
            throw Invalid(message: "'\(text)' is negative; requests are never negative")
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var seenDigit = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                seenDigit = true
                if seenPoint { fractionDigits += 1 }
                digits.append(byte - UInt8(ascii: "0"))
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        guard seenDigit else { throw Invalid(message: "'\(text)' is not a quantity: it starts with a number, such as 500m, 2 or 4Gi") }
        var decimalExponent = -fractionDigits
        var binaryExponent = 0
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        switch suffix {
        case "": break
        case "Ki": binaryExponent = 10
        case "Mi": binaryExponent = 20
        case "Gi": binaryExponent = 30
        case "Ti": binaryExponent = 40
        case "Pi": binaryExponent = 50
        case "Ei": binaryExponent = 60
        case "n": decimalExponent -= 9
        case "u": decimalExponent -= 6
        case "m": decimalExponent -= 3
        case "k": decimalExponent += 3
        case "M": decimalExponent += 6
        case "G": decimalExponent += 9
        case "T": decimalExponent += 12
        case "P": decimalExponent += 15
        case "E": decimalExponent += 18
        default:
            guard let first = suffix.first, first == "e" || first == "E", let exponent = Int(suffix.dropFirst()), suffix.count <= 5,
                suffix.dropFirst().allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" })
            else {
                throw Invalid(message: "'\(text)' has an unknown suffix '\(suffix)'; suffixes are Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent such as e3")
            }
            decimalExponent += exponent
        }
        // Leading zeros say nothing; trailing zeros move into the exponent.
        while let first = digits.first, first == 0 { digits.removeFirst() }
        while let last = digits.last, last == 0 {
            digits.removeLast()
            decimalExponent += 1
        }
        guard digits.count <= Self.maximumDigits else {
            throw Invalid(message: "'\(text)' has more than \(Self.maximumDigits) significant digits")
        }
        self.significand = digits.reduce(0) { $0 * 10 + UInt64($1) }
        self.decimalExponent = digits.isEmpty ? 0 : decimalExponent
        self.binaryExponent = digits.isEmpty ? 0 : binaryExponent
    }

    /// The quantity in units of 2^`unitBinaryExponent` (0: cores, 30: GiB), rounded up to the nano-unit: a
    /// cost cap never sees less than was asked for (`1G` of memory is 0.931322575 GiB, not …574615…).
    /// Nil above `Quantity.maximum`.
    func quantity(unitBinaryExponent: Int) -> Quantity? {
        guard significand > 0 else { return .zero }
        let tens = decimalExponent + Quantity.fractionDigits
        let twos = binaryExponent - unitBinaryExponent
        var numerator = UInt128(significand)
        var denominator: UInt128 = 1
        // The significand is below 10^19 < 2^64: up to 2^63 more fits, and anything that overflows is far
        // beyond Quantity.maximum (10^21 nano-units).
        func multiply(_ value: inout UInt128, by factor: UInt128, times: Int) -> Bool {
            for _ in 0..<times {
                let (product, overflow) = value.multipliedReportingOverflow(by: factor)
                if overflow { return false }
                value = product
            }
            return true
        }
        if tens >= 0 {
            guard multiply(&numerator, by: 10, times: tens) else { return nil }
        } else if -tens > 38 {
            return Quantity(nanos: 1)  // positive but below a nano-unit: rounds up to one
        } else {
            _ = multiply(&denominator, by: 10, times: -tens)
        }
        if twos >= 0 {
            guard multiply(&numerator, by: 2, times: twos) else { return nil }
        } else {
            guard multiply(&denominator, by: 2, times: -twos) else { return Quantity(nanos: 1) }
        }
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        let nanos = remainder == 0 ? quotient : quotient + 1
        guard nanos <= UInt128(Quantity.maximum.nanos) else { return nil }
        return Quantity(nanos: Int128(nanos))
    }

    /// CPU in cores.
    var cores: Quantity? { quantity(unitBinaryExponent: 0) }
    /// Memory or storage (bytes) in GiB.
    var gibibytes: Quantity? { quantity(unitBinaryExponent: 30) }
}
