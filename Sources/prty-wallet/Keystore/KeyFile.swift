import Foundation
import Shared

/// The key file on disk: written atomically (temporary file, fsync, rename) with mode 0600 in a 0700 directory;
/// a file it replaces is first kept as `<path>.bak-<unix seconds>`. A key file other users can read is refused.
enum KeyFile {
    /// Writes `document` to `path`, keeping any existing file as a backup; returns the backup's path.
    @discardableResult
    static func write(_ document: JSON, to path: String) throws(WalletError) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        let manager = FileManager.default
        do {
            if !directory.isEmpty && !manager.fileExists(atPath: directory) {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw .file(path: directory, detail: "cannot create the directory (\(error.localizedDescription))")
        }
        var backup: String? = nil
        if manager.fileExists(atPath: path) {
            let name = path + ".bak-\(Int(Date().timeIntervalSince1970))"
            guard link(path, name) == 0 else {  // a hard link: the old bytes stay whole until the rename below
                throw .file(
                    path: name, detail: "cannot keep a backup of the old key file (\(String(cString: strerror(errno))))"
                )
            }
            backup = name
        }
        let temporary = path + ".tmp-\(getpid())"
        let bytes = Array((document.serialized() + "\n").utf8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw .file(path: temporary, detail: "cannot create (\(String(cString: strerror(errno))))")
        }
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .file(path: path, detail: "cannot write the key file (\(reason))")
        }
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if directoryDescriptor >= 0 {  // make the rename itself durable
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return backup
    }

    /// The file's permission bits when group or others may read or write it; nil when it is private.
    static func looseMode(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o777
        return mode & 0o077 != 0 ? String(format: "%04o", mode) : nil
    }

    /// Refuses a key file that others can read (exit 77), as ssh refuses a private key.
    static func requirePrivate(_ path: String) throws(WalletError) {
        if let mode = looseMode(path) { throw .loosePermissions(path: path, mode: mode) }
    }
}
