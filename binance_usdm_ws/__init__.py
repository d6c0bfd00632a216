"""Synchronous SDK for the Binance USDⓈ-M Futures WebSocket API."""
