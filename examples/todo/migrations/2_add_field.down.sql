DROP INDEX todo_item_due_at_idx;
ALTER TABLE todo_item DROP COLUMN due_at;
