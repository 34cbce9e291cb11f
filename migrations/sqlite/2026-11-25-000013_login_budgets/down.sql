DROP TABLE login_address_budgets;
DROP TABLE login_username_budgets;
