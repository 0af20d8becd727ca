// Every GraphQL operation of the storefront, in one place.
import { gql } from "@apollo/client";

export const CURRENCY = "USD";

export const PRODUCTS = gql`
  query StorefrontProducts($currency: String!, $first: Int!) {
    products(first: $first, orderBy: OLDEST, filter: { currency: $currency, active: true }) {
      totalCount
      edges {
        node {
          id
          name
          description
          price
          currency
          brand
          stock {
            available
          }
        }
      }
    }
  }
`;

export const LOGIN = gql`
  mutation StorefrontLogin($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      user {
        id
        email
        name
      }
    }
  }
`;

export const PLACE_ORDER = gql`
  mutation StorefrontPlaceOrder($input: PlaceOrderInput!, $key: String!) {
    placeOrder(input: $input, idempotencyKey: $key) {
      id
      number
      status
    }
  }
`;

export const PAY_ORDER = gql`
  mutation StorefrontPayOrder($orderId: ID!, $card: CardInput!, $key: String!) {
    payOrder(orderId: $orderId, card: $card, idempotencyKey: $key) {
      id
      status
      failureReason
    }
  }
`;

export const MY_ORDERS = gql`
  query StorefrontMyOrders($first: Int!) {
    myOrders(first: $first) {
      totalCount
      edges {
        node {
          id
          number
          status
          totalAmount
          currency
          createdAt
        }
      }
    }
  }
`;

// The order page, ORDER_PAGE. Its fast part is the order itself (from orders and products);
// its slow parts, the payment (from payments) and the notifications (from notifications), are
// the two fragments below, spread with @defer: the router sends the order first and each slow
// part when its own fetches are done, in one multipart response that Apollo Client's HttpLink
// reads (it asks for `multipart/mixed;deferSpec=20220824` itself). Until a part arrives, its
// fields are missing from `data` and the page says it is loading (see web/README.md).
export const ORDER_PAYMENT = gql`
  fragment OrderPayment on Order {
    payments {
      id
      status
      amount
      currency
      cardBrand
      cardLast4
      failureReason
      createdAt
    }
  }
`;

export const ORDER_NOTIFICATIONS = gql`
  fragment OrderNotifications on Order {
    user {
      id
      notifications(first: 5) {
        id
        channel
        subject
        status
        createdAt
      }
    }
  }
`;

export const ORDER_PAGE = gql`
  query StorefrontOrder($id: ID!) {
    order(id: $id) {
      id
      number
      status
      cancelReason
      currency
      totalAmount
      createdAt
      items {
        id
        quantity
        unitPrice
        totalPrice
        product {
          id
          name
        }
      }
      ...OrderPayment @defer(label: "payment")
      ...OrderNotifications @defer(label: "notifications")
    }
  }
  ${ORDER_PAYMENT}
  ${ORDER_NOTIFICATIONS}
`;

/** Statuses after which an order no longer changes by itself (polling stops). */
export const SETTLED = new Set(["PAID", "CANCELLED", "FULFILLED"]);
