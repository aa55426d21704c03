//! SMTP messages as Rust values: commands, their parameters, replies and capabilities.

mod command;
mod reply;

pub use command::{
    Address, Body, Command, InitialResponse, MailFrom, MailParams, Notify, Orcpt, Param,
    RcptParams, RcptTo, Ret,
};
pub use reply::{Capability, EhloReply, EnhancedCode, Reply};
