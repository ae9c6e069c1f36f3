import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives a blob that arrives from outside (an archive, a remote cache) into the store's scratch
/// space, hashing it as it is written, and enters it only if its bytes hash to the name it came
/// under: a blob that does not match is deleted, never stored.
final class BlobReceiver {
    /// What became of a received blob.
    enum Outcome {
        case added(StoredArtifact)
        /// The store already held it (the copy was dropped).
        case present(StoredArtifact)
        /// Its bytes hash to `found`, not to the name it came under; nothing was stored.
        case mismatch(found: Digest)
    }

    let store: ArtifactStore
    let expected: Digest
    private let temporary: String
    private var fd: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    /// Opens a scratch file for the blob `expected`.
    init(store: ArtifactStore, expected: Digest) throws {
        self.store = store
        self.expected = expected
        temporary = store.temporaryDirectory.appendingPathComponent("receive-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temporary)", errno) }
    }

    deinit { abandon() }

    /// Appends bytes.
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: chunk)
        try FileSystem.writeAll(fd, chunk, what: "cannot write \(temporary)")
        size += Int64(chunk.count)
    }

    /// Checks the digest and renames the blob into place.
    func finish() throws -> Outcome {
        close(fd)
        fd = -1
        let found = Digest(bytes: hasher.finalize())
        guard found == expected else {
            unlink(temporary)
            return .mismatch(found: found)
        }
        if case let .present(artifact) = store.check(expected) {
            unlink(temporary)
            return .present(artifact)
        }
        let blob = store.blobPath(expected)
        try FileSystem.makeDirectory(URL(fileURLWithPath: blob).deletingLastPathComponent())
        guard rename(temporary, blob) == 0 else {
            let code = errno
            unlink(temporary)
            throw StoreError.io("cannot move \(expected.short) into the store", code)
        }
        if let identity = FileSystem.identity(ofFileAt: blob) { store.memo.remember(blob, identity, expected) }
        return .added(StoredArtifact(digest: expected, size: size, url: URL(fileURLWithPath: blob)))
    }

    /// Drops what arrived (after a transfer failed).
    func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }
}
