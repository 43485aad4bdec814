"""The Data Portal's publications: findings with partners, research, and the monthly statistics reports."""
