SELECT COUNT_BIG(*) FROM dbo.ledger;
