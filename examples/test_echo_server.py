"""A student's echo server, tested with tcpsim's pytest plugin (the tcp_capture fixture).

Run it with:  sudo python -m pytest examples/test_echo_server.py
(root makes the private network namespace; without it the test is skipped).
"""

import socket
import threading


def echo_server(listener: socket.socket) -> None:
    """Answer one client: send back everything it sends, close when it closes."""
    conn, _ = listener.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)


def test_echo_server_answers_and_closes_cleanly(tcp_capture):
    with tcp_capture.inside():  # sockets and threads made here live in the private namespace
        listener = socket.create_server(("127.0.0.1", 7007))
        server = threading.Thread(target=echo_server, args=(listener,))
        server.start()
        with socket.create_connection(("127.0.0.1", 7007)) as client:
            client.sendall(b"hello")
            assert client.recv(4096) == b"hello"
        server.join()
        listener.close()

    (conn,) = tcp_capture.connections()
    conn.assert_handshake_completed()
    conn.assert_closed_gracefully()  # FINs both ways, no RST
    conn.assert_conforms()  # every packet explained by the model
    conn.assert_delivered(client=5, server=5)
