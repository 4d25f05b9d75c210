"""A tiny echo server and its client in one program, for `tcpsim capture` to record:

sudo tcpsim capture --no-offload --mtu 1500 -- python3 examples/echo.py
"""

import socket
import threading

server = socket.create_server(("127.0.0.1", 7000))


def serve() -> None:
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


thread = threading.Thread(target=serve)
thread.start()
with socket.create_connection(("127.0.0.1", 7000)) as client:
    client.sendall(b"x" * 100_000)
    received = 0
    while received < 100_000:
        received += len(client.recv(65536))
thread.join()
print(f"echoed {received} bytes")
