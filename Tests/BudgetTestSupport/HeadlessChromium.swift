import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`): the browser
/// reads commands from its fd 3 and writes answers and events to its fd 4, each a JSON text ending in NUL.
///
/// Enough of the protocol to open a page, wait for it to load, run a script that reads the DOM, and take a
/// full-page screenshot — what a browser test of server-rendered pages needs, without a WebSocket client.
public final class HeadlessChromium: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Chromium's path when one is installed (Debian's `chromium` package).
    public static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: String
    /// Guards the pipe and the buffers; every call runs on a Dispatch thread, never the cooperative pool.
    private let lock = NSLock()
    private var nextID = 1
    private var pending: [UInt8] = []
    private var events: [(method: String, session: String?, params: Data)] = []
    private var closed = false

    public init(width: Int = 1280, height: Int = 900) throws {
        guard let executable = Self.executable else { throw Failure("chromium is not installed (apt-get install chromium)") }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)

        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure("pipe failed: errno \(errno)") }
        // Other processes the suite starts must not inherit these (dup2 onto 3 and 4 clears the flag for Chromium).
        for descriptor in toBrowser + fromBrowser { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        guard ![toBrowser[0], fromBrowser[1]].contains(where: { $0 == 3 || $0 == 4 }) else { throw Failure("pipe landed on fd 3 or 4") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, profile + "/chromium.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let arguments = [
            executable, "--headless", "--remote-debugging-pipe", "--user-data-dir=\(profile)",
            // The suite runs as root in CI, where Chromium's sandbox cannot start.
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio", "--hide-scrollbars",
            "--force-color-profile=srgb", "--window-size=\(width),\(height)", "about:blank",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard spawned == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw Failure("could not start \(executable): error \(spawned)")
        }
        self.pid = pid
        commands = toBrowser[1]
        answers = fromBrowser[0]
    }

    deinit { shutdown() }

    /// Stops the browser and removes its profile.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        close(commands)
        close(answers)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// What the browser wrote to stdout and stderr, for failure messages.
    public var log: String { (try? String(contentsOfFile: profile + "/chromium.log", encoding: .utf8)) ?? "" }

    /// Sends a command and returns its `result` object as JSON.
    public func call(_ method: String, _ params: [String: any Sendable] = [:], session: String? = nil, timeout: Duration = .seconds(30)) async throws -> Data {
        try await Blocking.run { try self.blockingCall(method, params, session: session, timeout: timeout) }
    }

    /// The index the next event will get: events at or after it arrived after this call.
    public func eventMark() -> Int {
        lock.lock()
        defer { lock.unlock() }
        return events.count
    }

    /// Waits for an event received at or after `mark`, returning its params.
    public func waitForEvent(_ method: String, session: String?, after mark: Int, timeout: Duration = .seconds(30)) async throws -> Data {
        try await Blocking.run {
            let deadline = ContinuousClock.now + timeout
            self.lock.lock()
            defer { self.lock.unlock() }
            while true {
                if let event = self.events[mark...].first(where: { $0.method == method && $0.session == session }) { return event.params }
                let message = try self.readMessage(until: deadline)
                self.file(message)
            }
        }
    }

    private func blockingCall(_ method: String, _ params: [String: any Sendable], session: String?, timeout: Duration) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw Failure("the browser was shut down") }
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure("writing to the browser failed: errno \(errno)\n\(log)") }
            written += count
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let message = try readMessage(until: deadline)
            guard let object = try JSONSerialization.jsonObject(with: message) as? [String: Any] else { continue }
            if let answerID = object["id"] as? Int, answerID == id {
                if let error = object["error"] as? [String: Any] {
                    throw Failure("\(method) failed: \(error["message"] ?? error)")
                }
                return try JSONSerialization.data(withJSONObject: object["result"] ?? [:])
            }
            file(message)
        }
    }

    /// Keeps an event for `waitForEvent`.
    private func file(_ message: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let method = object["method"] as? String else { return }
        let params = (try? JSONSerialization.data(withJSONObject: object["params"] ?? [:])) ?? Data("{}".utf8)
        events.append((method, object["sessionId"] as? String, params))
    }

    /// The next NUL-terminated message (called with the lock held).
    private func readMessage(until deadline: ContinuousClock.Instant) throws -> Data {
        while true {
            if let end = pending.firstIndex(of: 0) {
                let message = Data(pending[..<end])
                pending.removeSubrange(...end)
                return message
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Failure("the browser did not answer in time\n\(log.suffix(2000))") }
            var descriptor = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 60_000))
            guard poll(&descriptor, 1, max(milliseconds, 1)) >= 0 else { throw Failure("poll failed: errno \(errno)") }
            guard descriptor.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(answers, &chunk, chunk.count)
            guard count > 0 else { throw Failure("the browser closed its pipe\n\(log.suffix(2000))") }
            pending.append(contentsOf: chunk[..<count])
        }
    }
}

/// One tab.
public struct BrowserPage: Sendable {
    public let browser: HeadlessChromium
    public let session: String

    /// Opens a blank tab with page events enabled and the given viewport.
    public static func open(in browser: HeadlessChromium, width: Int = 1280, height: Int = 900) async throws -> BrowserPage {
        struct Target: Decodable { var targetId: String }
        struct Attached: Decodable { var sessionId: String }
        let target = try JSONDecoder().decode(Target.self, from: try await browser.call("Target.createTarget", ["url": "about:blank"]))
        let attached = try JSONDecoder().decode(
            Attached.self, from: try await browser.call("Target.attachToTarget", ["targetId": target.targetId, "flatten": true])
        )
        let page = BrowserPage(browser: browser, session: attached.sessionId)
        _ = try await browser.call("Page.enable", session: page.session)
        _ = try await browser.call("Runtime.enable", session: page.session)
        _ = try await browser.call(
            "Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false], session: page.session
        )
        return page
    }

    /// Loads `url` and waits for its load event.
    public func navigate(_ url: String) async throws {
        let mark = browser.eventMark()
        _ = try await browser.call("Page.navigate", ["url": url], session: session)
        _ = try await browser.waitForEvent("Page.loadEventFired", session: session, after: mark)
    }

    /// Runs `script` (an expression) and returns its value as JSON; the value must be JSON-serialisable.
    public func evaluate(_ script: String) async throws -> Data {
        struct Answer: Decodable {
            struct Value: Decodable { var value: String? }
            struct Exception: Decodable { var text: String }
            var result: Value
            var exceptionDetails: Exception?
        }
        let data = try await browser.call(
            "Runtime.evaluate", ["expression": "JSON.stringify(\(script))", "returnByValue": true], session: session
        )
        let answer = try JSONDecoder().decode(Answer.self, from: data)
        if let exception = answer.exceptionDetails { throw HeadlessChromium.Failure("script failed: \(exception.text)") }
        return Data((answer.result.value ?? "null").utf8)
    }

    /// Decodes the value of `script`.
    public func evaluate<T: Decodable>(_ script: String, as type: T.Type) async throws -> T {
        try JSONDecoder().decode(T.self, from: try await evaluate(script))
    }

    /// Runs `script`, which starts a navigation (a form submission), and waits for the next page to load.
    public func navigating(by script: String) async throws {
        let mark = browser.eventMark()
        _ = try await browser.call("Runtime.evaluate", ["expression": script], session: session)
        _ = try await browser.waitForEvent("Page.loadEventFired", session: session, after: mark)
    }

    /// The page's URL.
    public func url() async throws -> String {
        try await evaluate("location.href", as: String.self)
    }

    /// A PNG of the whole page (beyond the viewport), written to `path`.
    @discardableResult
    public func screenshot(to path: String) async throws -> Int {
        struct Shot: Decodable { var data: String }
        let shot = try JSONDecoder().decode(
            Shot.self, from: try await browser.call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
        )
        guard let png = Data(base64Encoded: shot.data) else { throw HeadlessChromium.Failure("the screenshot is not base64") }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: path))
        return png.count
    }
}
