-- Benchmark only: gives the naive path existing stock rows to update, as a real catalogue would.
INSERT INTO stock (sku, available, last_seq)
SELECT value, 0, 0 FROM jsonb_array_elements_text(@skus::jsonb)
ON CONFLICT (sku) DO NOTHING
