# The `aws` command tests put first on PATH (AwsCli writes it with this interpreter and the socket path
# filled in): hands its arguments, environment, directory and standard streams to aws_cli_server.py and
# exits with the status of the CLI run there.
import json, os, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(SOCKET)
socket.send_fds(s, [b"."], [0, 1, 2])
s.sendall(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}).encode())
s.shutdown(socket.SHUT_WR)
status = s.recv(16)
sys.exit(int(status) if status else 255)
