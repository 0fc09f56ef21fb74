import BudgetCore

/// Text for people: amounts, rates, shares and UTC dates as the dashboard shows them.
enum DisplayFormat {
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `money` rounded half to even to `fractionDigits` (0...9) decimals, for display only.
    static func rounded(_ money: Money, fractionDigits: Int) -> Money {
        var unit: Int64 = 1
        for _ in 0..<(Money.fractionDigits - min(max(fractionDigits, 0), Money.fractionDigits)) { unit *= 10 }
        let quotient = money.nanos / unit
        let twiceRemainder = (money.nanos % unit).magnitude * 2
        var roundedQuotient = quotient
        if twiceRemainder > unit.magnitude || (twiceRemainder == unit.magnitude && quotient % 2 != 0) {
            roundedQuotient += money.nanos < 0 ? -1 : 1
        }
        let (nanos, overflow) = roundedQuotient.multipliedReportingOverflow(by: unit)
        return overflow ? money : Money(nanos: nanos)
    }

    /// "1,234.56": an amount to the cent, with thousands separators.
    static func amount(_ money: Money) -> String {
        rounded(money, fractionDigits: 2).formatted(grouping: true)
    }

    /// "1,234.56 USD".
    static func amount(_ money: Money, _ currency: Currency) -> String {
        "\(amount(money)) \(currency.code)"
    }

    /// "12.40 USD/h", or "0.0345 USD/h": small rates keep up to 4 decimals so they do not read as zero.
    static func rate(_ money: Money, _ currency: Currency) -> String {
        "\(rate(money)) \(currency.code)/h"
    }

    /// "12.40" or "0.0345": a rate per hour without its unit.
    static func rate(_ money: Money) -> String {
        rounded(money, fractionDigits: 4).formatted(grouping: true)
    }

    /// "42.1 %" for 0.421.
    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        return "\(ChartNumber.grouped(fraction * 100, decimals: 1)) %"
    }

    /// "Nov 3".
    static func day(_ time: Timestamp) -> String {
        let date = time.civilDate
        return "\(monthNames[date.month - 1]) \(date.day)"
    }

    /// "Nov 3, 2024".
    static func dayWithYear(_ time: Timestamp) -> String {
        "\(day(time)), \(time.civilDate.year)"
    }

    /// "14:05".
    static func clock(_ time: Timestamp) -> String {
        let civil = time.civil
        return (civil.hour < 10 ? "0" : "") + "\(civil.hour):" + (civil.minute < 10 ? "0" : "") + "\(civil.minute)"
    }

    /// "Nov 3 14:05 UTC".
    static func dateTime(_ time: Timestamp) -> String {
        "\(day(time)) \(clock(time)) UTC"
    }

    /// "Nov 1 – Dec 1, 2024" for a period (its end is exclusive, so shown as the next period's start).
    static func period(start: Timestamp, end: Timestamp) -> String {
        let sameYear = start.civilDate.year == end.civilDate.year
        return "\(sameYear ? day(start) : dayWithYear(start)) – \(dayWithYear(end))"
    }
}
