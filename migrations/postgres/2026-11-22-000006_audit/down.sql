DROP TRIGGER audit_entries_append_only ON audit_entries;
DROP FUNCTION audit_entries_append_only();
DROP TABLE audit_head;
DROP TABLE audit_entries;
