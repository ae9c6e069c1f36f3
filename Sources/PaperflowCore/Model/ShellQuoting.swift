/// Quoting for `/bin/sh`.
public enum ShellQuoting {
    /// `text` as one single-quoted word: every character literal, `'` written as `'\''`.
    /// Semicolons, `$(…)`, backquotes, quotes and newlines inside stay text.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// What a `shell` command sees of Paperflow's environment besides its declared `env`:
    /// enough to find programs and to behave as the user's shell would, nothing else (no
    /// tokens, no credentials).
    public static let passedEnvironment = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TERM",
                                           "LANG", "LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_NUMERIC", "LC_TIME", "TZ"]

    /// Those of them that change what programs output (sort order, number and date formats):
    /// their values are part of a `shell` stage's key. PATH and HOME are passed but not keyed,
    /// so that keys made on one machine hit on another.
    public static let keyedEnvironment = ["LANG", "LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_NUMERIC", "LC_TIME", "TZ"]
}
