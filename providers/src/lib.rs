//! Ready poller status sources for Narada, Runware, Dari and VESSL.
#![deny(missing_docs)]
