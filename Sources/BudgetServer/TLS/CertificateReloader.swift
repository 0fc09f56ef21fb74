import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The listener's certificate and key, read again when either file changes, so that a renewed certificate
/// (cert-manager rotates them) is served to new connections without a restart.
///
/// Every TLS handshake asks for the current pair (NIOSSL's per-hello context callback); the files are looked
/// at then (two `stat`s, following symlinks as Kubernetes' secret volumes swap them), and read again only
/// when a modification time, size or inode changed. A pair that cannot be read (a rotation half written) is
/// logged and the last good pair stays in use; the next handshake tries again.
public final class CertificateReloader: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let logger: Logger

    struct Pair {
        var certificates: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var stamp: [FileStamp]
    }

    struct FileStamp: Equatable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    private let current: Mutex<Pair>

    /// Reads the pair once; throws (naming the file) when it cannot, so `serve` stops with the reason.
    public init(certificatePath: String, keyPath: String, logger: Logger) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.logger = logger
        current = Mutex(try Self.read(certificatePath: certificatePath, keyPath: keyPath))
        do {
            _ = try NIOSSLContext(configuration: serverConfiguration())
        } catch {
            throw TLSFileError(path: keyPath, message: "the key and certificate \(certificatePath) do not make a TLS context: \(error)")
        }
    }

    /// The TLS configuration of the listener: the pair as read now, replaced per handshake by the newest one.
    public func serverConfiguration() -> TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.certificates.map { .certificate($0) }, privateKey: .privateKey(pair.key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let pair = self.currentPair()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.certificates.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }

    /// The newest readable pair.
    func currentPair() -> (certificates: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let stamp = [Self.stamp(certificatePath), Self.stamp(keyPath)]
        let known = current.withLock { $0 }
        guard stamp != known.stamp else { return (known.certificates, known.key) }
        do {
            let pair = try Self.read(certificatePath: certificatePath, keyPath: keyPath)
            current.withLock { $0 = pair }
            logger.notice("tls certificate reloaded", metadata: ["certificate": "\(certificatePath)"])
            return (pair.certificates, pair.key)
        } catch {
            logger.warning("tls certificate not reloaded; serving the previous one", metadata: ["error": "\(error)"])
            return (known.certificates, known.key)
        }
    }

    static func read(certificatePath: String, keyPath: String) throws -> Pair {
        // Stamped before reading: a change during the read is seen on the next handshake.
        let stamp = [Self.stamp(certificatePath), Self.stamp(keyPath)]
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSFileError(path: certificatePath, message: "cannot read a PEM certificate chain: \(error)")
        }
        guard !certificates.isEmpty else { throw TLSFileError(path: certificatePath, message: "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSFileError(path: keyPath, message: "cannot read a PEM private key: \(error)")
        }
        return Pair(certificates: certificates, key: key, stamp: stamp)
    }

    static func stamp(_ path: String) -> FileStamp {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return FileStamp(
            modified: attributes?[.modificationDate] as? Date, size: (attributes?[.size] as? NSNumber)?.intValue,
            inode: (attributes?[.systemFileNumber] as? NSNumber)?.intValue
        )
    }
}

/// A TLS file that cannot be used, naming it.
public struct TLSFileError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
