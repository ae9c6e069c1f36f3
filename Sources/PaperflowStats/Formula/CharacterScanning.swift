/// The steps every parser of the formula language takes over its characters — the model formula
/// (`FormulaParser`) and the Wald restrictions written against its coefficients
/// (`RestrictionParser`) — so that both read spaces and symbols the same way.
protocol CharacterScanning {
    /// The text, as characters.
    var characters: [Character] { get }
    /// The index of the next character to read.
    var position: Int { get set }
}

extension CharacterScanning {
    /// Moves past any whitespace.
    mutating func skipSpaces() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    /// Takes `symbol` if it is the next character after any whitespace.
    mutating func take(_ symbol: Character) -> Bool {
        skipSpaces()
        guard position < characters.count, characters[position] == symbol else { return false }
        position += 1
        return true
    }

    /// What is at the position, for a message: `'x'`, or "the end".
    var found: String {
        position < characters.count ? "'\(characters[position])'" : "the end"
    }
}
