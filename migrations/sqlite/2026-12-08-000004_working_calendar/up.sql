-- The organisation's calendar of working days, beyond what the server knows by law (the fixed
-- solar holidays): per-year days an admin enters from the Prime Minister's announcement, such
-- as Tết Nguyên đán, Giỗ Tổ Hùng Vương (10/3 âm lịch) and the day beside Quốc khánh, and
-- make-up working days (ngày làm bù, a Saturday worked). A day is stored as its ISO date
-- (YYYY-MM-DD), which sorts as dates do on both databases.
CREATE TABLE calendar_days (
    day TEXT NOT NULL PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'working')),
    name TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX calendar_days_year ON calendar_days (year);
