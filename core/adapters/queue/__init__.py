"""Job queues: the embedded runner (threads in this process) and RQ on Redis."""
