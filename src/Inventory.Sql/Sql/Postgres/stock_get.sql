SELECT sku, available, last_seq, limit_per_customer, updated_at
FROM stock
WHERE sku IN (SELECT value FROM jsonb_array_elements_text(@skus::jsonb))
ORDER BY sku
