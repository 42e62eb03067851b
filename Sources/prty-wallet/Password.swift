import Foundation
import Shared

/// Where the keystore password comes from: `--password-file FILE` (`-` is stdin), else the `PRTY_PASSWORD_FILE`
/// setting, else the terminal, asked without echo (twice when a new keystore is written). Never from a flag's
/// value, where it would sit in the shell history and in `ps`.
struct PasswordSource: Sendable {
    var file: String?

    init(settings: Settings) {
        let path = settings.path(.prtyPasswordFile, flag: "password-file")
        file = path.isEmpty ? nil : path
    }

    init(file: String?) { self.file = file }

    /// The password; `confirm` asks twice on the terminal (for a new keystore).
    func read(purpose: String, confirm: Bool = false) throws(WalletError) -> [UInt8] {
        if let file {
            let data: Data?
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                data = Self.contents(of: file)
            }
            guard let data else {
                throw .password(
                    "cannot read the password file \(file); check the path (--password-file or PRTY_PASSWORD_FILE)")
            }
            // The first line, as geth's --password reads it; a trailing CR from a Windows editor is dropped.
            var line = Array(data.prefix { $0 != UInt8(ascii: "\n") })
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            return line
        }
        let first = try Self.prompt("\(purpose): ")
        if confirm {
            let second = try Self.prompt("Repeat the password: ")
            guard first == second else { throw .password("the two passwords differ; nothing was written") }
        }
        return first
    }

    /// A file's bytes (empty for an empty file or /dev/null); nil when it cannot be opened or read.
    private static func contents(of path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            return nil
        }
    }

    /// Reads one line from /dev/tty with echo off (termios), restoring the terminal afterwards.
    private static func prompt(_ text: String) throws(WalletError) -> [UInt8] {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else {
            throw .password(
                "no password: there is no terminal to ask on; give --password-file FILE (or '-' for stdin) "
                    + "or set PRTY_PASSWORD_FILE")
        }
        defer { close(tty) }
        var saved = termios()
        let isTerminal = tcgetattr(tty, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &quiet)
        }
        defer { if isTerminal { tcsetattr(tty, TCSAFLUSH, &saved) } }
        _ = text.withCString { write(tty, $0, strlen($0)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while readByte(tty, &byte) == 1 && byte != UInt8(ascii: "\n") {
            line.append(byte)
            if line.count > 4096 { break }
        }
        _ = write(tty, "\n", 1)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }
}

/// read(2) of one byte (outside the type, whose own `read` would shadow the C function).
private func readByte(_ descriptor: Int32, _ byte: inout UInt8) -> Int { read(descriptor, &byte, 1) }
