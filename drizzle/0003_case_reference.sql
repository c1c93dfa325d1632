-- Human case references (2026-00042): short enough to read over the phone, never reused. They
-- reveal only how many cases were filed before, which the institution publishes anyway.
CREATE SEQUENCE case_reference_seq START 1;
