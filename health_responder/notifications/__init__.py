"""The notifications outbox: messages to users, shown in the app and sent by email."""
