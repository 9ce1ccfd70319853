-- Encore's "add field" step: a due date for each item.
ALTER TABLE todo_item ADD COLUMN due_at TIMESTAMPTZ;
CREATE INDEX todo_item_due_at_idx ON todo_item (due_at) WHERE NOT done;
