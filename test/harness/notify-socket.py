# A stand-in for systemd's notification socket: binds the AF_UNIX datagram socket named
# by argv[1] ('@name' for an abstract one, as NOTIFY_SOCKET spells it) and prints one JSON
# line per datagram: the bytes as latin-1 text and the sender's pid, which the kernel
# attaches (SO_PASSCRED) the way it does for systemd. Node has no unix datagram sockets.
import json, os, socket, struct, sys

name = sys.argv[1]
address = '\0' + name[1:] if name.startswith('@') else name
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(address)
print(json.dumps({'bound': name}), flush=True)
ucred = struct.calcsize('3i')
while True:
    data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(ucred))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('3i', payload[:ucred])[0]
    print(json.dumps({'data': data.decode('latin-1'), 'pid': pid}), flush=True)
