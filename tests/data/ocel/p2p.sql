-- A small procure-to-pay log written by hand in the OCEL 2.0 SQLite (relational) form: the same log as
-- p2p.jsonocel and p2p.xmlocel. The tests build the database from this script (sqlite3 executescript).
-- Times are text, as producers write them: UTC without offset, with Z, and with offsets.
CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
                           PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier));
CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT,
                            PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier));
CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);

INSERT INTO event_map_type VALUES ('Create PO', 'CreatePO'), ('Approve PO', 'ApprovePO'),
  ('Receive goods', 'ReceiveGoods'), ('Post invoice', 'PostInvoice'), ('Prüfen & <freigeben> "QA"', 'PruefenQA');
INSERT INTO object_map_type VALUES ('purchase order', 'PurchaseOrder'), ('item', 'Item'), ('invoice', 'Invoice'),
  ('supplier', 'Supplier');

CREATE TABLE "event_CreatePO" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP, "user" TEXT, channel TEXT);
CREATE TABLE "event_ApprovePO" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP);
CREATE TABLE "event_ReceiveGoods" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP, "user" TEXT, late INTEGER);
CREATE TABLE "event_PostInvoice" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP, amount REAL);
CREATE TABLE "event_PruefenQA" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP, note TEXT);

CREATE TABLE "object_PurchaseOrder" (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT, supplier TEXT,
  amount REAL, priority INTEGER, urgent INTEGER, due TIMESTAMP, status TEXT);
CREATE TABLE "object_Item" (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT, material TEXT,
  quantity INTEGER);
CREATE TABLE "object_Invoice" (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT, total REAL);
CREATE TABLE "object_Supplier" (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT, name TEXT);

INSERT INTO event VALUES ('e1', 'Create PO'), ('e2', 'Approve PO'), ('e3', 'Create PO'), ('e4', 'Receive goods'),
  ('e5', 'Receive goods'), ('e6', 'Post invoice'), ('e7', 'Prüfen & <freigeben> "QA"'), ('e8', 'Receive goods');
INSERT INTO "event_CreatePO" VALUES ('e1', '2024-05-01 08:00:00', 'anna', 'portal'),
  ('e3', '2024-05-01T07:00:00-05:00', '李雷', NULL);
INSERT INTO "event_ApprovePO" VALUES ('e2', '2024-05-01T10:15:00+02:00');
INSERT INTO "event_ReceiveGoods" VALUES ('e4', '2024-05-03T09:00:00.500+08:00', 'ben', 0),
  ('e5', '2024-05-03 18:00:00.125', 'ben', 1), ('e8', '2024-05-05T00:00:00Z', 'cleo', NULL);
INSERT INTO "event_PostInvoice" VALUES ('e6', '2024-05-06T11:00:00+00:00', 1350.75);
INSERT INTO "event_PruefenQA" VALUES ('e7', '2024-05-06T13:30:00+05:30', 'ok & done; <b>bold</b> ''quoted''');

INSERT INTO object VALUES ('po1', 'purchase order'), ('po2', 'purchase order'), ('i1', 'item'), ('i2', 'item'),
  ('i3', 'item'), ('i4', 'item'), ('inv1', 'invoice'), ('s1', 'supplier'), ('s2', 'supplier'), ('s3', 'supplier');
INSERT INTO "object_PurchaseOrder" VALUES
  ('po1', '1970-01-01 00:00:00', NULL, 'ACME GmbH', 1200.5, 2, 0, '2024-05-10 15:00:00', 'open'),
  ('po2', '1970-01-01 00:00:00', NULL, 'Dōng & Söhne <Ltd>', 80.0, 1, 1, NULL, 'open'),
  ('po1', '2024-05-01T12:30:00+02:00', 'amount', NULL, 1350.75, NULL, NULL, NULL, NULL),
  ('po1', '2024-05-01 08:15:00', 'status', NULL, NULL, NULL, NULL, NULL, 'approved'),
  ('po1', '2024-05-04T02:00:00.125+08:00', 'status', NULL, NULL, NULL, NULL, NULL, 'received');
INSERT INTO "object_Item" VALUES
  ('i1', '1970-01-01 00:00:00', NULL, 'M-100', 10),
  ('i2', '1970-01-01 00:00:00', NULL, 'M-200', 5),
  ('i3', '1970-01-01 00:00:00', NULL, 'M-300', NULL),
  ('i4', '1970-01-01 00:00:00', NULL, 'M-100', 1),
  ('i2', '2024-05-02 09:00:00', 'quantity', NULL, 4);
INSERT INTO "object_Invoice" VALUES ('inv1', '1970-01-01 00:00:00', NULL, 1350.75);
INSERT INTO "object_Supplier" VALUES ('s1', '1970-01-01 00:00:00', NULL, 'ACME GmbH'),
  ('s2', '1970-01-01 00:00:00', NULL, 'Dōng & Söhne <Ltd>'), ('s3', '1970-01-01 00:00:00', NULL, NULL);

INSERT INTO event_object VALUES
  ('e1', 'po1', 'creates'), ('e1', 'i1', 'adds'), ('e1', 'i2', 'adds'), ('e1', 'i3', 'adds'),
  ('e2', 'po1', 'approves'),
  ('e3', 'po2', 'creates'), ('e3', 'i4', 'adds'),
  ('e4', 'po1', 'for'), ('e4', 'i1', 'receives'), ('e4', 'i2', 'receives'),
  ('e5', 'po1', 'for'), ('e5', 'i3', 'receives'),
  ('e6', 'inv1', 'creates'), ('e6', 'po1', 'bills'), ('e6', 'i1', 'bills'), ('e6', 'i2', 'bills'),
  ('e6', 'i3', 'bills'),
  ('e7', 'inv1', 'checks "4 eyes"'),
  ('e8', 'po2', 'for'), ('e8', 'i4', 'receives');
INSERT INTO object_object VALUES
  ('po1', 's1', 'supplied by'), ('po1', 'i1', 'contains'), ('po1', 'i2', 'contains'), ('po1', 'i3', 'contains'),
  ('po2', 's2', 'supplied by'), ('po2', 'i4', 'contains'), ('inv1', 'po1', 'bills');
