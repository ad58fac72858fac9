"""The API's side of AMI: the panoramisk connection, the pure queue-state reducer and the event store."""
