//! The two bit sets exchanged in option negotiation: actions (`SMFIF_*`) and protocol
//! flags (`SMFIP_*`).

use std::fmt;
use std::ops::{BitAnd, BitOr, Not};

macro_rules! bit_set {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$doc:meta])* $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u32);

        impl $name {
            $( $(#[$doc])* pub const $flag: Self = Self($value); )*

            /// No flag set.
            pub const NONE: Self = Self(0);

            /// Every flag this crate knows.
            pub const KNOWN: Self = Self(0 $( | $value )*);

            /// The set with exactly these bits (unknown bits are kept).
            pub const fn from_bits(bits: u32) -> Self {
                Self(bits)
            }

            /// The bits as sent on the wire.
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// Whether every flag of `other` is set.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            const NAMES: &'static [(&'static str, u32)] = &[ $( (stringify!($flag), $value) ),* ];
        }

        impl BitOr for $name {
            type Output = Self;

            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl BitAnd for $name {
            type Output = Self;

            fn bitand(self, rhs: Self) -> Self {
                Self(self.0 & rhs.0)
            }
        }

        impl Not for $name {
            type Output = Self;

            fn not(self) -> Self {
                Self(!self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                let mut rest = self.0;
                for (name, bit) in Self::NAMES {
                    if self.0 & bit != 0 {
                        if !first {
                            f.write_str(" | ")?;
                        }
                        f.write_str(name)?;
                        first = false;
                        rest &= !bit;
                    }
                }
                if rest != 0 || first {
                    if !first {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{rest:#x}")?;
                }
                Ok(())
            }
        }
    };
}

bit_set! {
    /// What a milter may do to a message at the end of it (`SMFIF_*`). The MTA offers a
    /// set, the milter answers with the subset it wants.
    Actions {
        /// `SMFIF_ADDHDRS`: add headers (ADDHEADER, INSHEADER).
        ADD_HEADERS = 0x01;
        /// `SMFIF_CHGBODY`: replace the body (REPLBODY).
        CHANGE_BODY = 0x02;
        /// `SMFIF_ADDRCPT`: add recipients (ADDRCPT).
        ADD_RECIPIENT = 0x04;
        /// `SMFIF_DELRCPT`: remove recipients (DELRCPT).
        DELETE_RECIPIENT = 0x08;
        /// `SMFIF_CHGHDRS`: change or delete headers (CHGHEADER).
        CHANGE_HEADERS = 0x10;
        /// `SMFIF_QUARANTINE`: quarantine the message (QUARANTINE).
        QUARANTINE = 0x20;
        /// `SMFIF_CHGFROM`: change the envelope sender (CHGFROM).
        CHANGE_FROM = 0x40;
        /// `SMFIF_ADDRCPT_PAR`: add recipients with ESMTP arguments (ADDRCPT_PAR).
        ADD_RECIPIENT_WITH_ARGS = 0x80;
        /// `SMFIF_SETSYMLIST`: ask for a list of macros per stage in the negotiation reply.
        SET_SYMBOL_LIST = 0x100;
    }
}

bit_set! {
    /// How the conversation is shaped (`SMFIP_*`): stages the milter does not want to see
    /// (`NO_*`), stages it will not answer (`NR_*`), and a few abilities.
    ProtocolFlags {
        /// `SMFIP_NOCONNECT`: do not send CONNECT.
        NO_CONNECT = 0x01;
        /// `SMFIP_NOHELO`: do not send HELO.
        NO_HELO = 0x02;
        /// `SMFIP_NOMAIL`: do not send MAIL.
        NO_MAIL = 0x04;
        /// `SMFIP_NORCPT`: do not send RCPT.
        NO_RCPT = 0x08;
        /// `SMFIP_NOBODY`: do not send body chunks.
        NO_BODY = 0x10;
        /// `SMFIP_NOHDRS`: do not send headers.
        NO_HEADERS = 0x20;
        /// `SMFIP_NOEOH`: do not send end-of-headers.
        NO_EOH = 0x40;
        /// `SMFIP_NR_HDR` (also `SMFIP_NOHREPL`): no reply to headers.
        NR_HEADER = 0x80;
        /// `SMFIP_NOUNKNOWN`: do not send unknown SMTP commands.
        NO_UNKNOWN = 0x100;
        /// `SMFIP_NODATA`: do not send DATA.
        NO_DATA = 0x200;
        /// `SMFIP_SKIP`: the MTA understands SKIP in reply to a body chunk.
        SKIP = 0x400;
        /// `SMFIP_RCPT_REJ`: the MTA also sends recipients it rejected itself.
        RCPT_REJECTED = 0x800;
        /// `SMFIP_NR_CONN`: no reply to CONNECT.
        NR_CONNECT = 0x1000;
        /// `SMFIP_NR_HELO`: no reply to HELO.
        NR_HELO = 0x2000;
        /// `SMFIP_NR_MAIL`: no reply to MAIL.
        NR_MAIL = 0x4000;
        /// `SMFIP_NR_RCPT`: no reply to RCPT.
        NR_RCPT = 0x8000;
        /// `SMFIP_NR_DATA`: no reply to DATA.
        NR_DATA = 0x1_0000;
        /// `SMFIP_NR_UNKN`: no reply to unknown commands.
        NR_UNKNOWN = 0x2_0000;
        /// `SMFIP_NR_EOH`: no reply to end-of-headers.
        NR_EOH = 0x4_0000;
        /// `SMFIP_NR_BODY`: no reply to body chunks.
        NR_BODY = 0x8_0000;
        /// `SMFIP_HDR_LEADSPC`: header values keep their leading space.
        HEADER_LEADING_SPACE = 0x10_0000;
        /// `SMFIP_MDS_256K`: the milter accepts packets of up to 256 KiB.
        MAX_DATA_SIZE_256K = 0x1000_0000;
        /// `SMFIP_MDS_1M`: the milter accepts packets of up to 1 MiB.
        MAX_DATA_SIZE_1M = 0x2000_0000;
    }
}

impl Actions {
    /// Every action of protocol version 6 (`SMFI_V6_ACTS`).
    pub const ALL: Self = Self::KNOWN;
}

impl ProtocolFlags {
    /// Every `NR_*` flag: the milter answers none of the stages before end-of-message.
    pub const NO_REPLIES: Self = Self(
        Self::NR_HEADER.0
            | Self::NR_CONNECT.0
            | Self::NR_HELO.0
            | Self::NR_MAIL.0
            | Self::NR_RCPT.0
            | Self::NR_DATA.0
            | Self::NR_UNKNOWN.0
            | Self::NR_EOH.0
            | Self::NR_BODY.0,
    );

    /// Every `NO_*` flag.
    pub const NO_STAGES: Self = Self(
        Self::NO_CONNECT.0
            | Self::NO_HELO.0
            | Self::NO_MAIL.0
            | Self::NO_RCPT.0
            | Self::NO_BODY.0
            | Self::NO_HEADERS.0
            | Self::NO_EOH.0
            | Self::NO_UNKNOWN.0
            | Self::NO_DATA.0,
    );

    /// The maximum-data-size flags, which describe the milter and are not negotiated.
    pub const MAX_DATA_SIZE: Self = Self(Self::MAX_DATA_SIZE_256K.0 | Self::MAX_DATA_SIZE_1M.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_flags_and_leftover_bits() {
        let set = Actions::ADD_HEADERS | Actions::CHANGE_HEADERS;
        assert_eq!(format!("{set:?}"), "ADD_HEADERS | CHANGE_HEADERS");
        assert_eq!(
            format!("{:?}", Actions::from_bits(0x1001)),
            "ADD_HEADERS | 0x1000"
        );
        assert_eq!(format!("{:?}", Actions::NONE), "0x0");
        assert_eq!(Actions::ALL.bits(), 0x1ff);
        assert_eq!(ProtocolFlags::NO_REPLIES.bits(), 0x000f_f080);
        assert!(ProtocolFlags::KNOWN.contains(ProtocolFlags::HEADER_LEADING_SPACE));
    }
}
