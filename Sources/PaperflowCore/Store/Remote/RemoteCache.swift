import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A store shared between machines, in the Bazel remote-cache layout: `cas/<sha256 hex>` holds
/// blobs, `ac/<key hex>` action records. Served over plain HTTP (GET, HEAD, PUT: an nginx with
/// WebDAV PUT, or bazel-remote with `--disable_http_ac_validation`, since our action records are
/// text, not Bazel's protobuf) or as a directory (`file://`, a shared filesystem).
///
/// Nothing that arrives is trusted: every blob is hashed as it is received and entered only if
/// it hashes to its name, and an action record must parse and carry the key it was fetched by.
public protocol RemoteCache: Sendable {
    /// The remote's URL, for messages.
    var location: String { get }
    /// Whether the remote holds the blob.
    func contains(_ digest: Digest) throws -> Bool
    /// Fetches a blob into `store`, verifying it; `nil` when the remote does not have it.
    /// - Throws: `RemoteError.rejected` when its bytes do not hash to its name (nothing stored),
    ///   `RemoteError.unavailable` when the remote cannot be reached.
    /// Reads no more than `size` bytes: a larger blob is cut off and rejected.
    func fetchBlob(_ digest: Digest, size: Int64, into store: ArtifactStore) throws -> StoredArtifact?
    /// Uploads a blob from the local store.
    func putBlob(_ artifact: StoredArtifact) throws
    /// The action record for `key`, if the remote has one.
    func fetchAction(_ key: Digest) throws -> ActionRecord?
    /// Uploads an action record (after its blobs).
    func putAction(_ record: ActionRecord) throws
}

/// Why a remote operation did not complete.
public enum RemoteError: Error, Sendable, CustomStringConvertible {
    /// The remote cannot be reached or answered with an error.
    case unavailable(String)
    /// What arrived is not what was asked for; it was not stored.
    case rejected(String)

    public var description: String {
        switch self {
        case let .unavailable(message), let .rejected(message): return message
        }
    }
}

/// Opens remotes by URL.
public enum RemoteCaches {
    /// `http://host[:port][/prefix]` or `file:///path` (or a plain absolute path).
    /// - Throws: `RemoteError.unavailable` for another scheme or a malformed URL.
    /// - Parameter cancellation: ends a wait on an HTTP remote when set (Ctrl-C).
    public static func open(_ text: String, cancellation: CancellationFlag? = nil) throws -> any RemoteCache {
        if text.hasPrefix("/") { return DirectoryRemote(root: URL(fileURLWithPath: text, isDirectory: true)) }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw RemoteError.unavailable("'\(text)' is not a URL; use http://HOST:PORT/PATH or file:///PATH")
        }
        switch scheme {
        case "file":
            return DirectoryRemote(root: URL(fileURLWithPath: url.path, isDirectory: true))
        case "http":
            guard let host = url.host, !host.isEmpty else { throw RemoteError.unavailable("'\(text)' names no host") }
            var prefix = url.path
            while prefix.hasSuffix("/") { prefix.removeLast() }
            return HTTPRemote(location: text, host: host, port: UInt16(url.port ?? 80), prefix: prefix, cancellation: cancellation)
        default:
            throw RemoteError.unavailable("remote '\(text)': the scheme \(scheme) is not supported; use http:// (an HTTPS cache through a local proxy) or file://")
        }
    }
}

/// A remote cache over HTTP. One keep-alive connection per thread that uses it.
final class HTTPRemote: RemoteCache {
    let location: String
    let host: String
    let port: UInt16
    let prefix: String
    let cancellation: CancellationFlag?
    let limits = RemoteLimits.standard
    private let idle = Mutex<[HTTPConnection]>([])

    init(location: String, host: String, port: UInt16, prefix: String, cancellation: CancellationFlag? = nil) {
        self.location = location
        self.host = host
        self.port = port
        self.prefix = prefix
        self.cancellation = cancellation
    }

    /// Runs `body` on an idle connection (or a new one), returning it to the pool after success.
    private func withConnection<T>(_ body: (HTTPConnection) throws -> T) throws -> T {
        let connection = idle.withLock { $0.popLast() } ?? HTTPConnection(host: host, port: port, limits: limits, cancellation: cancellation)
        do {
            let result = try body(connection)
            idle.withLock { $0.append(connection) }
            return result
        } catch let failure as HTTPConnection.Failure {
            throw RemoteError.unavailable("remote cache \(location): \(failure.description)")
        }
    }

    private func path(_ folder: String, _ digest: Digest) -> String { "\(prefix)/\(folder)/\(digest.hex)" }

    private func unexpected(_ response: HTTPConnection.Response, _ method: String, _ path: String) -> RemoteError {
        .unavailable("remote cache \(location): \(method) \(path) answered \(response.status)")
    }

    func contains(_ digest: Digest) throws -> Bool {
        try withConnection { connection in
            let response = try connection.send("HEAD", path("cas", digest))
            try connection.readBody(of: response, method: "HEAD") { _ in }
            switch response.status {
            case 200: return true
            case 404: return false
            default: throw unexpected(response, "HEAD", path("cas", digest))
            }
        }
    }

    func fetchBlob(_ digest: Digest, size: Int64, into store: ArtifactStore) throws -> StoredArtifact? {
        try withConnection { connection in
            let response = try connection.send("GET", path("cas", digest), expectedBytes: size)
            guard response.status == 200 else {
                try connection.readBody(of: response, method: "GET") { _ in }
                if response.status == 404 { return nil }
                throw unexpected(response, "GET", path("cas", digest))
            }
            let source = "\(location)/cas/\(digest.hex)"
            if let length = response.headers["content-length"].flatMap({ Int64($0) }), length > size {
                // Not read at all: the connection is dropped with the error.
                throw Self.oversized(source, size)
            }
            let receiver = try BlobReceiver(store: store, expected: digest)
            var received: Int64 = 0
            do {
                try connection.readBody(of: response, method: "GET") { chunk in
                    received += Int64(chunk.count)
                    guard received <= size else { throw Self.oversized(source, size) }
                    try receiver.write(chunk)
                }
            } catch {
                receiver.abandon()
                throw error
            }
            return try Self.accept(receiver, from: "\(location)/cas/\(digest.hex)")
        }
    }

    static func oversized(_ source: String, _ size: Int64) -> RemoteError {
        .rejected("\(source): larger than the \(size) bytes its action record names; cut off, not stored")
    }

    /// The stored blob, or a rejection naming what arrived.
    static func accept(_ receiver: BlobReceiver, from source: String) throws -> StoredArtifact {
        switch try receiver.finish() {
        case let .added(artifact), let .present(artifact): return artifact
        case let .mismatch(found):
            throw RemoteError.rejected("\(source): its bytes hash to \(found), not to \(receiver.expected); rejected, not stored")
        }
    }

    func putBlob(_ artifact: StoredArtifact) throws {
        let fd = Glibc.open(artifact.url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(artifact.url.path)", errno) }
        defer { close(fd) }
        try withConnection { connection in
            let response = try connection.send("PUT", path("cas", artifact.digest), bodyLength: artifact.size) { send in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentHasher.blockSize, alignment: 4096)
                defer { buffer.deallocate() }
                var left = artifact.size
                while left > 0 {
                    let count = read(fd, buffer.baseAddress!, min(buffer.count, Int(left)))
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { throw StoreError.io("cannot read \(artifact.url.path)", count < 0 ? errno : EIO) }
                    try send(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    left -= Int64(count)
                }
            }
            try connection.readBody(of: response, method: "PUT") { _ in }
            guard (200..<300).contains(response.status) else { throw unexpected(response, "PUT", path("cas", artifact.digest)) }
        }
    }

    func fetchAction(_ key: Digest) throws -> ActionRecord? {
        try withConnection { connection in
            let response = try connection.send("GET", path("ac", key))
            var bytes: [UInt8] = []
            try connection.readBody(of: response, method: "GET") { chunk in
                guard bytes.count + chunk.count <= 1 << 20 else { throw RemoteError.rejected("\(location)/ac/\(key.hex): over 1 MiB, not an action record") }
                bytes.append(contentsOf: chunk)
            }
            if response.status == 404 { return nil }
            guard response.status == 200 else { throw unexpected(response, "GET", path("ac", key)) }
            return try Self.action(bytes, key: key, source: "\(location)/ac/\(key.hex)")
        }
    }

    /// Parses an action record that must carry `key`.
    static func action(_ bytes: [UInt8], key: Digest, source: String) throws -> ActionRecord {
        guard let record = ActionRecord(text: Substring(decoding: bytes, as: UTF8.self)), record.key == key else {
            throw RemoteError.rejected("\(source): not an action record for key \(key.short); rejected")
        }
        return record
    }

    func putAction(_ record: ActionRecord) throws {
        let bytes = Array(record.text.utf8)
        try withConnection { connection in
            let response = try connection.send("PUT", path("ac", record.key), bodyLength: Int64(bytes.count)) { send in
                try bytes.withUnsafeBytes { try send($0) }
            }
            try connection.readBody(of: response, method: "PUT") { _ in }
            guard (200..<300).contains(response.status) else { throw unexpected(response, "PUT", path("ac", record.key)) }
        }
    }
}

/// A remote cache in a directory (a shared filesystem): the same layout as over HTTP, files
/// entered by rename so readers on other machines never see half a blob.
struct DirectoryRemote: RemoteCache {
    let root: URL
    var location: String { "file://\(root.path)" }

    private func file(_ folder: String, _ digest: Digest) -> String { root.appendingPathComponent("\(folder)/\(digest.hex)").path }

    func contains(_ digest: Digest) throws -> Bool { FileSystem.exists(file("cas", digest)) }

    func fetchBlob(_ digest: Digest, size: Int64, into store: ArtifactStore) throws -> StoredArtifact? {
        let path = file("cas", digest)
        guard let fd = try openRegularFile(path) else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RemoteError.unavailable("remote cache \(location): cannot stat \(path)") }
        guard Int64(info.st_size) <= size else { throw HTTPRemote.oversized(path, size) }
        let receiver = try BlobReceiver(store: store, expected: digest)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentHasher.blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress!, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                receiver.abandon()
                throw RemoteError.unavailable("remote cache \(location): cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try receiver.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return try HTTPRemote.accept(receiver, from: path)
    }

    func putBlob(_ artifact: StoredArtifact) throws {
        try place(file("cas", artifact.digest)) { fd in _ = try ContentHasher.stream(artifact.url.path, copyingTo: fd) }
    }

    func fetchAction(_ key: Digest) throws -> ActionRecord? {
        let path = file("ac", key)
        guard let fd = try openRegularFile(path) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw RemoteError.unavailable("remote cache \(location): cannot read \(path)") }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= 1 << 20 else { throw RemoteError.rejected("\(path): over 1 MiB, not an action record") }
        }
        return try HTTPRemote.action(bytes, key: key, source: path)
    }

    /// Opens a file of the remote for reading, only if it is a regular file: a FIFO or device
    /// put there would block a read forever (opened non-blocking, checked, then read normally).
    /// - Returns: `nil` when it does not exist.
    private func openRegularFile(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw RemoteError.unavailable("remote cache \(location): cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw RemoteError.rejected("\(path): not a regular file (a FIFO, device or link); ignored")
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }

    func putAction(_ record: ActionRecord) throws {
        try place(file("ac", record.key)) { fd in
            try Array(record.text.utf8).withUnsafeBytes { try FileSystem.writeAll(fd, $0, what: "cannot write to \(location)") }
        }
    }

    /// Writes a file beside `path` and renames it into place.
    private func place(_ path: String, _ write: (Int32) throws -> Void) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileSystem.makeDirectory(folder) } catch {
            throw RemoteError.unavailable("remote cache \(location): cannot create \(folder.path): \(error)")
        }
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw RemoteError.unavailable("remote cache \(location): cannot create \(temporary): \(String(cString: strerror(errno)))") }
        do {
            try write(fd)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw RemoteError.unavailable("remote cache \(location): cannot rename into \(path): \(String(cString: strerror(code)))")
        }
    }
}
