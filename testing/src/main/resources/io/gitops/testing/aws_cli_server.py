"""A fork server for the AWS CLI, for tests that run shell scripts calling `aws` dozens of times.

Most of an `aws` process's CPU goes into importing botocore and the CLI. This server imports them once; each
call, made through the `aws` shim AwsCli writes beside it, is served by a forked child that takes the
caller's arguments, environment, working directory and standard streams (passed as file descriptors), runs
the CLI's unchanged entry point and sends back its exit status. Everything the CLI does per call (reading
the environment and config files, resolving credentials, loading the service model, calling the endpoint)
still happens per call, in the child; only the imports are shared.

Usage: python3 aws_cli_server.py SOCKET_PATH   (prints "ready" once it accepts calls)
"""
import json
import os
import signal
import socket
import sys
import traceback

import awscli  # noqa: F401  (sets AWS_DATA_PATH in this process; each child recomputes it below)
import awscli.clidriver

AWSCLI_DATA = os.path.join(os.path.dirname(os.path.abspath(awscli.__file__)), "data")


def run(conn, fds, request):
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # What importing awscli does in a fresh process: the caller's data paths, then the CLI's own.
    os.environ["AWS_DATA_PATH"] = os.pathsep.join(
        [p for p in request["env"].get("AWS_DATA_PATH", "").split(os.pathsep) if p] + [AWSCLI_DATA])
    sys.argv = ["aws"] + request["argv"]
    status = 255
    try:
        status = awscli.clidriver.main()
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    except BaseException:  # the CLI reports its own errors; this is a failure of the server itself
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(str(status).encode())
        os._exit(status)


def serve(path):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
        if os.fork() == 0:
            listener.close()
            run(conn, fds, json.loads(data))
        for fd in fds:
            os.close(fd)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
