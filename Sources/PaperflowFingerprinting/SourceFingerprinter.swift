/// Computes, at build time, a fingerprint of the code and data each built-in stage runs on: the
/// content of the stage's own source file and of every file it can reach, transitively
/// (llbuild2's versions aggregated over dependencies, by construction rather than by hand).
///
/// A file reaches another when it mentions a type the other declares or extends (members come
/// with their type: a value's methods live in the files that declare or extend its type, and the
/// type is named in the signature of whatever produced the value), or a name the other declares
/// at the top level (a global function or constant), or — for extensions of types and protocols
/// that Paperflow does not declare (`extension Collection { func mean() }`) — a member the
/// extension adds. The analysis is lexical and errs on the side of more: a name declared in two
/// files reaches both, and a word in a string or doc comment reaches what it names. A module's
/// resources belong to each of its files that mentions `RuntimeData` or `Bundle`, the two ways
/// a stage finds its shipped data.
public struct SourceFingerprinter {
    /// One input file: its path relative to the `Sources` folder (`PaperflowStages/IO/CSVStage.swift`)
    /// and its bytes.
    public struct File {
        public var path: String
        public var bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
        var module: String { String(path.split(separator: "/").first ?? "") }
    }

    /// Names whose mention says nothing about dependence: the requirements every stage
    /// implements (every stage file declares them, and every stage file uses them).
    static let requirementNames: Set<String> = ["id", "version", "signature", "run", "init", "descriptor"]

    private let sources: [File]
    private let resources: [File]
    private let digests: [String]
    private let edges: [[Int]]
    private let resourceUsers: Set<Int>
    /// Types conforming to `Stage` (by a name in their declaration's inheritance list), with
    /// the index of their file.
    public let stageTypes: [String: Int]

    /// Analyses the source files (`.swift`) and resource files.
    public init(sources: [File], resources: [File]) {
        let sources = sources.sorted { $0.path < $1.path }
        self.sources = sources
        self.resources = resources.sorted { $0.path < $1.path }
        digests = sources.map { SHA256Hasher.hex($0.bytes) }
        let scans = sources.map(SourceScan.init)
        var declaredIn: [String: [Int]] = [:]
        var stageTypes: [String: Int] = [:]
        let declaredTypes = Set(scans.flatMap(\.declaredTypes))
        var memberOfForeignExtension: [String: [Int]] = [:]
        for (index, scan) in scans.enumerated() {
            for name in scan.types.union(scan.topLevel) where !Self.requirementNames.contains(name) {
                declaredIn[name, default: []].append(index)
            }
            for (type, members) in scan.extensionMembers where !declaredTypes.contains(type) {
                for member in members where !Self.requirementNames.contains(member) { memberOfForeignExtension[member, default: []].append(index) }
            }
            for type in scan.stageTypes { stageTypes[type] = index }
        }
        edges = scans.enumerated().map { index, scan in
            Set(scan.mentioned.flatMap { declaredIn[$0] ?? [] } + scan.memberMentions.flatMap { memberOfForeignExtension[$0] ?? [] })
                .subtracting([index]).sorted()
        }
        resourceUsers = Set(scans.indices.filter { scans[$0].mentioned.contains("RuntimeData") || scans[$0].mentioned.contains("Bundle") })
        self.stageTypes = stageTypes
    }

    /// The source files the file at `index` reaches, itself included, sorted by path.
    public func closure(ofFileAt index: Int) -> [String] {
        reach(index).map { sources[$0].path }
    }

    private func reach(_ start: Int) -> [Int] {
        var seen: Set<Int> = [start]
        var stack = [start]
        while let next = stack.popLast() {
            for target in edges[next] where seen.insert(target).inserted { stack.append(target) }
        }
        return seen.sorted()
    }

    /// The fingerprint of the stage type `name`: SHA-256 over the paths and content digests of
    /// the files its file reaches, and of the resources of the modules whose data it reads.
    public func fingerprint(ofStage name: String) -> String? {
        guard let index = stageTypes[name] else { return nil }
        let files = reach(index)
        var hasher = SHA256Hasher()
        hasher.update(field: "paperflow-builtin-fingerprint-1")
        for file in files {
            hasher.update(field: sources[file].path)
            hasher.update(field: digests[file])
        }
        let modules = Set(files.filter(resourceUsers.contains).map { sources[$0].module })
        for resource in resources where modules.contains(resource.module) {
            hasher.update(field: resource.path)
            hasher.update(field: SHA256Hasher.hex(resource.bytes))
        }
        return "sha256:" + hasher.finalizeHex()
    }

    /// The fingerprint of the whole build: every source and resource file.
    public var buildFingerprint: String {
        var hasher = SHA256Hasher()
        hasher.update(field: "paperflow-build-fingerprint-1")
        for (file, digest) in zip(sources, digests) {
            hasher.update(field: file.path)
            hasher.update(field: digest)
        }
        for resource in resources {
            hasher.update(field: resource.path)
            hasher.update(field: SHA256Hasher.hex(resource.bytes))
        }
        return "sha256:" + hasher.finalizeHex()
    }

    /// The Swift source of the generated table that PaperflowStages compiles.
    public func generatedSwift() -> String {
        var lines = [
            "// Generated at build time by paperflow-fingerprint (BuildPlugins/BuiltinFingerprintPlugin). Do not edit.",
            "",
            "/// Fingerprints of the code and shipped data each built-in stage runs on; part of its cache key.",
            "enum BuiltinFingerprints {",
            "    /// Every source and resource file of the stages and the modules they build on.",
            "    static let build = \"\(buildFingerprint)\"",
            "    /// By stage type name.",
            "    static let byStage: [String: String] = [",
        ]
        for name in stageTypes.keys.sorted() {
            lines.append("        \"\(name)\": \"\(fingerprint(ofStage: name)!)\",")
        }
        lines += ["    ]"]
        // By type identity too: the registry looks each stage up once per process, and turning
        // a metatype into its name costs more than the lookup (demangling).
        let own = stageTypes.filter { sources[$0.value].module == "PaperflowStages" }.keys.sorted()
        lines += ["    /// By stage type.", "    static let byType: [ObjectIdentifier: String] = ["]
        for name in own { lines.append("        ObjectIdentifier(\(name).self): \"\(fingerprint(ofStage: name)!)\",") }
        lines += ["    ]", "}", ""]
        return lines.joined(separator: "\n")
    }
}

/// What one Swift file declares for other files and what names it mentions.
struct SourceScan {
    /// Types it declares or extends (non-private).
    var types: Set<String> = []
    /// Types it declares (not extensions).
    var declaredTypes: Set<String> = []
    /// Non-private functions, constants and variables at the top level.
    var topLevel: Set<String> = []
    /// Members added by each extension, by extended type name.
    var extensionMembers: [String: Set<String>] = [:]
    /// Every identifier it mentions.
    var mentioned: Set<String> = []
    /// Identifiers it mentions after a dot (`.mean()`).
    var memberMentions: Set<String> = []
    var stageTypes: [String] = []

    static let typeKeywords: Set<String> = ["struct", "enum", "class", "protocol", "extension", "actor"]
    static let memberKeywords: Set<String> = ["func", "var", "let", "case", "typealias"]

    init(_ file: SourceFingerprinter.File) {
        let tokens = Self.tokens(of: file.bytes)
        // Each open brace: the type or extension whose body it opened, or nil.
        var scopes: [String?] = []
        var pendingType: (name: String, isExtension: Bool)?
        var openExtensions: [Bool] = []
        var inheritance: [String] = []
        var inInheritance = false
        var privateStatement = false
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            switch token {
            case "\n", ";":
                privateStatement = false
            case "{":
                scopes.append(pendingType?.name)
                openExtensions.append(pendingType?.isExtension ?? false)
                if let type = pendingType?.name, inheritance.contains("Stage") { stageTypes.append(type) }
                pendingType = nil
                inInheritance = false
                inheritance = []
                privateStatement = false
            case "}":
                _ = scopes.popLast()
                _ = openExtensions.popLast()
                privateStatement = false
            case "private", "fileprivate":
                if index + 1 < tokens.count, tokens[index + 1] == "(" { break }
                privateStatement = true
            case ".":
                // In code or in a string's interpolation (`"\(values.mean())"`), which the
                // tokens do not tell from the string's text.
                if index + 1 < tokens.count {
                    let next = tokens[index + 1].hasPrefix(Self.textMark) ? String(tokens[index + 1].dropFirst()) : tokens[index + 1]
                    if Self.isIdentifier(next) { memberMentions.insert(next) }
                }
            case ":":
                if pendingType != nil { inInheritance = true }
            case _ where token.hasPrefix(Self.textMark):
                // A word of a string literal: a mention (the stage may name a column after a
                // type), never a declaration — "class and colour" declares no type `and`.
                mentioned.insert(String(token.dropFirst()))
            default:
                guard Self.isIdentifier(token) else { break }
                mentioned.insert(token)
                if inInheritance { inheritance.append(token) }
                let next = Self.name(after: index, in: tokens)
                let atTopLevel = scopes.isEmpty
                if Self.typeKeywords.contains(token), let name = next,
                   !(token == "class" && ["func", "var", "let", "static", "override", "final"].contains(name)) {
                    if token == "extension" {
                        types.insert(name)
                    } else if !privateStatement || atTopLevel {
                        types.insert(name)
                        declaredTypes.insert(name)
                    }
                    pendingType = (name, token == "extension")
                } else if Self.memberKeywords.contains(token), !privateStatement || atTopLevel, let name = next {
                    if atTopLevel {
                        topLevel.insert(name)
                    } else if scopes.count == 1, let type = scopes[0], openExtensions[0] {
                        extensionMembers[type, default: []].insert(name)
                    }
                }
            }
            index += 1
        }
    }

    /// Marks a token that is a word inside a string literal.
    static let textMark = "\u{1}"

    static func isIdentifier(_ token: String) -> Bool {
        token.first.map { $0 == "_" || $0.isLetter } == true
    }

    static func name(after index: Int, in tokens: [String]) -> String? {
        var cursor = index + 1
        while cursor < tokens.count, tokens[cursor] == "\n" { cursor += 1 }
        guard cursor < tokens.count, isIdentifier(tokens[cursor]) else { return nil }
        return tokens[cursor]
    }

    /// Identifiers, braces, colons, dots, semicolons and newlines; `//` comments dropped
    /// (outside string literals); the words of string contents kept, marked with `textMark`
    /// (interpolations count as text too: their names are mentions either way).
    static func tokens(of bytes: [UInt8]) -> [String] {
        var tokens: [String] = []
        var index = 0
        var inString = false
        var inMultilineString = false
        let quote = UInt8(ascii: "\"")
        func isIdentifierByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte >= 0x80
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote, index + 2 < bytes.count, bytes[index + 1] == quote, bytes[index + 2] == quote {
                // A multi-line string: its words count as mentions, its braces are text.
                inMultilineString.toggle()
                inString = inMultilineString
                index += 3
                continue
            }
            if byte == quote, !inMultilineString { inString.toggle() }
            if byte == UInt8(ascii: "\n") {
                inString = inMultilineString
                tokens.append("\n")
                index += 1
                continue
            }
            if !inString, byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 2; continue }
            if isIdentifierByte(byte), !(byte >= 0x30 && byte <= 0x39) {
                let start = index
                while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
                let word = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(inString ? Self.textMark + word : word)
                continue
            }
            if byte >= 0x30 && byte <= 0x39 {
                while index < bytes.count, isIdentifierByte(bytes[index]) || bytes[index] == UInt8(ascii: ".") { index += 1 }
                continue
            }
            if byte == UInt8(ascii: ".") {
                tokens.append(".")
            } else if !inString, [UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "(")].contains(byte) {
                tokens.append(String(UnicodeScalar(byte)))
            }
            index += 1
        }
        return tokens
    }
}
