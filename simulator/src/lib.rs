//! A local HTTP server that behaves like the four status APIs.
#![deny(missing_docs)]
