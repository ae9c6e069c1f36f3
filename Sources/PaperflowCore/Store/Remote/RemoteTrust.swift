import Crypto
import Foundation

/// Which action records from a remote cache a client may use.
///
/// Blobs are self-verifying (named by their hash); action records — key → output digests — are
/// not: anyone who can write the remote's `/ac/` could point a key at other bytes. A record is
/// used only when one of these vouches for it:
/// - the committed lock file: its entry for the key names the same outputs (the lock is
///   reviewed in git, so a `cache pull` of what the locks name needs no secret); or
/// - the team's secret (`PAPERFLOW_REMOTE_SECRET`): the uploader signed the record with an
///   HMAC-SHA256 that only holders of the secret can make.
/// Anything else is rejected, reported and never stored, so it is never pushed on either.
public struct RemoteTrust: Sendable {
    /// The shared secret's bytes, which sign and verify records; `nil`: records are neither
    /// signed nor accepted on a signature. (Kept as bytes: Crypto's SymmetricKey is not Sendable.)
    private var secretBytes: [UInt8]?
    private var secret: SymmetricKey? { secretBytes.map { SymmetricKey(data: $0) } }
    /// Output digests by port of every key the committed locks name.
    public var lockedOutputs: [Digest: [String: Digest]]

    /// Trust built from `secret` (its UTF-8 bytes) and the committed `locks`.
    public init(secret: String?, locks: [WorkflowLock]) {
        secretBytes = secret.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var outputs: [Digest: [String: Digest]] = [:]
        for lock in locks {
            for entry in lock.stages.values { outputs[entry.key] = entry.outputs.mapValues(\.digest) }
        }
        lockedOutputs = outputs
    }

    /// The name of the environment variable that holds the secret.
    public static let secretVariable = "PAPERFLOW_REMOTE_SECRET"

    /// `record` signed with the secret (unchanged without one).
    public func signed(_ record: ActionRecord) -> ActionRecord {
        guard let secret else { return record }
        var signed = record
        signed.signature = Self.signature(of: record, secret: secret)
        return signed
    }

    /// Throws `RemoteError.rejected` unless the lock or a valid signature vouches for `record`.
    /// - Parameter source: where it came from, for the message.
    public func verify(_ record: ActionRecord, source: String) throws {
        if let locked = lockedOutputs[record.key] {
            guard locked == record.outputs.mapValues(\.digest) else {
                throw RemoteError.rejected("\(source): names outputs other than the committed lock's for key \(record.key.short); rejected, not stored")
            }
            return
        }
        guard let secret else {
            throw RemoteError.rejected("\(source): key \(record.key.short) is not in a committed lock and no \(Self.secretVariable) is set "
                                       + "to check who wrote it; not used")
        }
        guard let signature = record.signature, Self.constantTimeEquals(signature, Self.signature(of: record, secret: secret)) else {
            throw RemoteError.rejected("\(source): not signed with this team's \(Self.secretVariable); rejected, not stored")
        }
    }

    static func signature(of record: ActionRecord, secret: SymmetricKey) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(record.unsignedText.utf8), using: secret)
        return "hmac-sha256:" + code.map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
