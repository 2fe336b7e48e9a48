//! Socket helpers shared by the servers and clients.
