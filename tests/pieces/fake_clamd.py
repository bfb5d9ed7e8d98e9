"""A stand-in for clamd on a local socket, speaking its real protocol: ``zINSTREAM\\0`` (or
``nINSTREAM\\n``), chunks of a 4-byte big-endian length and data, a zero-length chunk, then
``stream: OK`` or ``stream: <signature> FOUND`` terminated like the command."""

import socketserver
import struct
import threading

EICAR_MARK = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        first = self.rfile.read(1)
        terminator = b"\0" if first == b"z" else b"\n"
        command = b""
        while not command.endswith(terminator):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        if command.rstrip(terminator) != b"INSTREAM":
            self.wfile.write(b"UNKNOWN COMMAND" + terminator)
            return
        data = b""
        while True:
            header = self.rfile.read(4)
            if len(header) < 4:
                return
            (length,) = struct.unpack("!L", header)
            if length == 0:
                break
            data += self.rfile.read(length)
        self.server.scanned.append(data)
        if EICAR_MARK in data:
            self.wfile.write(b"stream: Eicar-Signature FOUND" + terminator)
        else:
            self.wfile.write(b"stream: OK" + terminator)


class FakeClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scanned: list[bytes] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
